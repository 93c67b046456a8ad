//! A Keras-style model summary: one row per layer with its output shape and parameter count.

use std::fmt;

/// One row of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerRow {
    /// Layer name, e.g. `dense_1`.
    pub name: String,
    /// Layer type, e.g. `Linear`.
    pub kind: String,
    /// Output shape without the batch dimension.
    pub output_shape: Vec<usize>,
    /// Parameters of this layer (trainable or not).
    pub params: usize,
    /// Of those, the ones training does not update (batch norm's running statistics).
    #[serde(default)]
    pub non_trainable: usize,
}

impl LayerRow {
    /// A row.
    pub fn new(name: impl Into<String>, kind: &str, output_shape: &[usize], params: usize) -> Self {
        Self {
            name: name.into(),
            kind: kind.to_string(),
            output_shape: output_shape.to_vec(),
            params,
            non_trainable: 0,
        }
    }

    /// Marks `n` of the layer's parameters as not trainable.
    pub fn with_non_trainable(mut self, n: usize) -> Self {
        self.non_trainable = n;
        self
    }
}

/// The summary of a network: its layers and parameter total.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Architecture name.
    pub model: String,
    /// The layers, input to output.
    pub layers: Vec<LayerRow>,
    /// Total parameters, trainable or not.
    pub total_params: usize,
}

impl Summary {
    /// A summary of `layers`; `total_params` is the module's own count.
    pub fn new(model: &str, layers: Vec<LayerRow>, total_params: usize) -> Self {
        Self {
            model: model.to_string(),
            layers,
            total_params,
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn shape(dims: &[usize]) -> String {
    let inner: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("(None, {})", inner.join(", "))
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 3]> = self
            .layers
            .iter()
            .map(|l| {
                [
                    format!("{} ({})", l.name, l.kind),
                    shape(&l.output_shape),
                    thousands(l.params),
                ]
            })
            .collect();
        let headers = ["Layer (type)", "Output Shape", "Param #"];
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
                + 4
        };
        let (w0, w1, w2) = (width(0), width(1), width(2));
        let rule = |c: char| c.to_string().repeat(w0 + w1 + w2);
        writeln!(f, "Model: \"{}\"", self.model)?;
        writeln!(f, "{}", rule('='))?;
        writeln!(
            f,
            "{:<w0$}{:<w1$}{:>w2$}",
            headers[0], headers[1], headers[2]
        )?;
        writeln!(f, "{}", rule('='))?;
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                writeln!(f, "{}", rule('-'))?;
            }
            writeln!(f, "{:<w0$}{:<w1$}{:>w2$}", r[0], r[1], r[2])?;
        }
        writeln!(f, "{}", rule('='))?;
        writeln!(f, "Total params: {}", thousands(self.total_params))?;
        let frozen: usize = self.layers.iter().map(|l| l.non_trainable).sum();
        writeln!(
            f,
            "Trainable params: {}",
            thousands(self.total_params - frozen)
        )?;
        writeln!(f, "Non-trainable params: {}", thousands(frozen))
    }
}
