//! Classification metrics from predictions: the confusion matrix, per-class precision, recall,
//! F1 and support, and their macro and weighted averages (as scikit-learn's
//! `classification_report` computes them). A class that is never predicted has precision 0
//! (not NaN), like scikit-learn's `zero_division=0`.

use serde::{Deserialize, Serialize};

/// Counts of (true class, predicted class) pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Class names; row and column `i` are class `i`.
    pub classes: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<usize>>,
}

/// Precision, recall, F1 and support of one class (or an average of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class (or `macro avg` / `weighted avg`).
    pub class: String,
    /// Of the examples predicted as this class, the fraction that are.
    pub precision: f64,
    /// Of the examples of this class, the fraction predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Examples of this class.
    pub support: usize,
}

/// Everything `report.json` says about a classifier on one split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// One entry per class.
    pub per_class: Vec<ClassMetrics>,
    /// Unweighted mean over classes.
    pub macro_avg: ClassMetrics,
    /// Mean over classes weighted by support.
    pub weighted_avg: ClassMetrics,
    /// The confusion matrix.
    pub confusion: ConfusionMatrix,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

impl ConfusionMatrix {
    /// Counts `targets` against `predictions` (both class indices below `classes.len()`).
    pub fn new(classes: &[String], targets: &[usize], predictions: &[usize]) -> Self {
        let n = classes.len();
        let mut counts = vec![vec![0; n]; n];
        for (&t, &p) in targets.iter().zip(predictions) {
            counts[t][p] += 1;
        }
        Self {
            classes: classes.to_vec(),
            counts,
        }
    }

    /// Examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let correct: usize = (0..self.classes.len()).map(|i| self.counts[i][i]).sum();
        ratio(correct, self.total())
    }

    /// The metrics of every class and their averages.
    pub fn metrics(&self) -> ClassificationMetrics {
        let n = self.classes.len();
        let per_class: Vec<ClassMetrics> = (0..n)
            .map(|c| {
                let tp = self.counts[c][c];
                let predicted: usize = (0..n).map(|t| self.counts[t][c]).sum();
                let support: usize = self.counts[c].iter().sum();
                let precision = ratio(tp, predicted);
                let recall = ratio(tp, support);
                ClassMetrics {
                    class: self.classes[c].clone(),
                    precision,
                    recall,
                    f1: f1(precision, recall),
                    support,
                }
            })
            .collect();
        let total: usize = per_class.iter().map(|m| m.support).sum();
        let average = |name: &str, weight: &dyn Fn(&ClassMetrics) -> f64| {
            let w: f64 = per_class.iter().map(weight).sum();
            let mean = |f: &dyn Fn(&ClassMetrics) -> f64| {
                if w == 0.0 {
                    0.0
                } else {
                    per_class.iter().map(|m| weight(m) * f(m)).sum::<f64>() / w
                }
            };
            ClassMetrics {
                class: name.to_string(),
                precision: mean(&|m| m.precision),
                recall: mean(&|m| m.recall),
                f1: mean(&|m| m.f1),
                support: total,
            }
        };
        let macro_avg = average("macro avg", &|_| 1.0);
        let weighted_avg = average("weighted avg", &|m| m.support as f64);
        ClassificationMetrics {
            accuracy: self.accuracy(),
            per_class,
            macro_avg,
            weighted_avg,
            confusion: self.clone(),
        }
    }

    /// The `n` largest off-diagonal counts as (true class, predicted class, count), largest
    /// first; pairs with a count of zero are left out.
    pub fn worst_confusions(&self, n: usize) -> Vec<(String, String, usize)> {
        let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
        for (t, row) in self.counts.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                if t != p && count > 0 {
                    pairs.push((t, p, count));
                }
            }
        }
        pairs.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        pairs
            .into_iter()
            .take(n)
            .map(|(t, p, c)| (self.classes[t].clone(), self.classes[p].clone(), c))
            .collect()
    }

    /// The matrix as CSV: a header of predicted classes, one row per true class.
    pub fn to_csv(&self) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::from("true\\predicted");
        for c in &self.classes {
            out.push(',');
            out.push_str(&quote(c));
        }
        out.push('\n');
        for (c, row) in self.classes.iter().zip(&self.counts) {
            out.push_str(&quote(c));
            for v in row {
                out.push_str(&format!(",{v}"));
            }
            out.push('\n');
        }
        out
    }
}
