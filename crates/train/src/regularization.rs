//! L1 and L2 weight penalties (`--l1 RATE`, `--l2 RATE`), added to the loss of every task, as
//! Keras's kernel regularisers and the TensorFlow Playground's "regularization" do. They apply
//! to the weights of dense and convolution layers (every parameter with two or more
//! dimensions), not to biases or batch-norm parameters.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use models::Network;
use serde::{Deserialize, Serialize};

use crate::config::TrainingConfig;

/// A weight penalty: `l1 * sum |w| + l2 * sum w^2` over the weights.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Penalty {
    /// Rate of the L1 term.
    pub l1: f64,
    /// Rate of the L2 term.
    pub l2: f64,
}

impl Penalty {
    /// No penalty.
    pub const NONE: Penalty = Penalty { l1: 0.0, l2: 0.0 };

    /// The penalty a run's config asks for.
    pub fn of(config: &TrainingConfig) -> Self {
        Self {
            l1: config.l1,
            l2: config.l2,
        }
    }

    /// Whether it adds anything.
    pub fn is_none(&self) -> bool {
        self.l1 == 0.0 && self.l2 == 0.0
    }

    /// The penalty on `network`'s weights as a one-element tensor (differentiable), or `None`
    /// when both rates are 0.
    pub fn on(&self, network: &Network) -> Option<Tensor<1>> {
        if self.is_none() {
            return None;
        }
        struct Sum {
            penalty: Penalty,
            total: Option<Tensor<1>>,
        }
        impl ModuleVisitor for Sum {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                if D < 2 {
                    return;
                }
                let w = param.val();
                let mut term: Option<Tensor<1>> = None;
                if self.penalty.l1 > 0.0 {
                    term = Some(w.clone().abs().sum().mul_scalar(self.penalty.l1));
                }
                if self.penalty.l2 > 0.0 {
                    let l2 = w.powi_scalar(2).sum().mul_scalar(self.penalty.l2);
                    term = Some(match term {
                        Some(t) => t + l2,
                        None => l2,
                    });
                }
                if let Some(term) = term {
                    self.total = Some(match self.total.take() {
                        Some(total) => total + term,
                        None => term,
                    });
                }
            }
        }
        let mut sum = Sum {
            penalty: *self,
            total: None,
        };
        network.visit(&mut sum);
        sum.total
    }

    /// `loss` (a one-element tensor) plus the penalty on `network`'s weights.
    pub fn added_to(&self, loss: Tensor<1>, network: &Network) -> Tensor<1> {
        match self.on(network) {
            Some(penalty) => loss + penalty,
            None => loss,
        }
    }

    /// The penalty's value on `network`'s weights (0 with no penalty).
    pub fn value(&self, network: &Network) -> f64 {
        self.on(network)
            .map_or(0.0, |p| f64::from(p.into_scalar::<f32>()))
    }
}
