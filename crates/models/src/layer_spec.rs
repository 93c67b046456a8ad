//! The layers of a [`Sequential`](crate::Sequential) network as the command line writes them
//! (`--layers conv:32,relu,maxpool,flatten,dense:128,relu,dense`) and `config.json` saves them.

use std::fmt;
use std::str::FromStr;

use crate::activation::ActivationKind;

/// One layer of a [`Sequential`](crate::Sequential) network.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "layer")]
pub enum LayerSpec {
    /// A 3x3 (or `kernel`-sized) convolution with `filters` output channels, stride 1, "same"
    /// padding (`conv:FILTERS[:KERNEL]`).
    Conv2d {
        /// Output channels.
        filters: usize,
        /// Side of the square kernel.
        kernel: usize,
    },
    /// Max pooling over `size` x `size` windows, stride `size` (`maxpool[:SIZE]`, 2 by default).
    MaxPool2d {
        /// Window side and stride.
        size: usize,
    },
    /// Batch normalisation over the channels (`batchnorm`).
    BatchNorm,
    /// An element-wise activation (`relu`, `tanh`, `sigmoid`).
    Activation {
        /// Which one.
        kind: ActivationKind,
    },
    /// Dropout with probability `rate` (`dropout:RATE`).
    Dropout {
        /// Probability of zeroing a value in training.
        rate: f64,
    },
    /// Flattens images into vectors (`flatten`; implied before the first dense layer).
    Flatten,
    /// A dense layer of `units` outputs (`dense:UNITS`); the last layer's `dense` without
    /// units has one output per class.
    Dense {
        /// Outputs; 0 for one per class.
        units: usize,
    },
}

impl FromStr for LayerSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.trim().split(':');
        let name = parts.next().unwrap_or_default();
        let args: Vec<&str> = parts.collect();
        let number = |i: usize, what: &str| -> Result<Option<usize>, String> {
            args.get(i)
                .map(|a| {
                    a.parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("`{s}`: {what} must be a whole number above 0"))
                })
                .transpose()
        };
        let arity = |most: usize| {
            if args.len() > most {
                Err(format!("`{s}` has too many `:` values"))
            } else {
                Ok(())
            }
        };
        let spec = match name {
            "conv" | "conv2d" => {
                arity(2)?;
                LayerSpec::Conv2d {
                    filters: number(0, "the filters")?.ok_or_else(|| {
                        format!("`{s}`: give the filters, e.g. conv:32 or conv:32:5")
                    })?,
                    kernel: number(1, "the kernel")?.unwrap_or(3),
                }
            }
            "maxpool" | "pool" => {
                arity(1)?;
                LayerSpec::MaxPool2d {
                    size: number(0, "the size")?.unwrap_or(2),
                }
            }
            "batchnorm" | "bn" => {
                arity(0)?;
                LayerSpec::BatchNorm
            }
            "flatten" => {
                arity(0)?;
                LayerSpec::Flatten
            }
            "dense" => {
                arity(1)?;
                LayerSpec::Dense {
                    units: number(0, "the units")?.unwrap_or(0),
                }
            }
            "dropout" => {
                arity(1)?;
                let rate = args
                    .first()
                    .and_then(|a| a.parse::<f64>().ok())
                    .filter(|r| (0.0..1.0).contains(r))
                    .ok_or_else(|| format!("`{s}`: give a rate from 0 to 1, e.g. dropout:0.5"))?;
                LayerSpec::Dropout { rate }
            }
            "relu" | "tanh" | "sigmoid" | "linear" => {
                arity(0)?;
                LayerSpec::Activation {
                    kind: match name {
                        "relu" => ActivationKind::Relu,
                        "tanh" => ActivationKind::Tanh,
                        "sigmoid" => ActivationKind::Sigmoid,
                        _ => ActivationKind::Linear,
                    },
                }
            }
            _ => {
                return Err(format!(
                    "`{s}` is not a layer: conv:FILTERS[:KERNEL], maxpool[:SIZE], batchnorm, \
                     relu, tanh, sigmoid, dropout:RATE, flatten, dense[:UNITS]"
                ));
            }
        };
        Ok(spec)
    }
}

impl fmt::Display for LayerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerSpec::Conv2d { filters, kernel } => write!(f, "conv:{filters}:{kernel}"),
            LayerSpec::MaxPool2d { size } => write!(f, "maxpool:{size}"),
            LayerSpec::BatchNorm => f.write_str("batchnorm"),
            LayerSpec::Activation { kind } => write!(f, "{kind}"),
            LayerSpec::Dropout { rate } => write!(f, "dropout:{rate}"),
            LayerSpec::Flatten => f.write_str("flatten"),
            LayerSpec::Dense { units: 0 } => f.write_str("dense"),
            LayerSpec::Dense { units } => write!(f, "dense:{units}"),
        }
    }
}

/// Parses `--layers`: layer specs separated by commas.
pub fn parse_layers(s: &str) -> Result<Vec<LayerSpec>, String> {
    s.split(',').map(str::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_parse_and_print_back() {
        let layers = parse_layers(
            "conv:8,relu,maxpool,conv:16:5,batchnorm,flatten,dropout:0.5,dense:32,tanh,dense",
        )
        .unwrap();
        assert_eq!(
            layers[0],
            LayerSpec::Conv2d {
                filters: 8,
                kernel: 3
            }
        );
        assert_eq!(
            layers[3],
            LayerSpec::Conv2d {
                filters: 16,
                kernel: 5
            }
        );
        assert_eq!(layers.last(), Some(&LayerSpec::Dense { units: 0 }));
        let printed: Vec<String> = layers.iter().map(ToString::to_string).collect();
        assert_eq!(parse_layers(&printed.join(",")).unwrap(), layers);
        assert!(
            parse_layers("conv")
                .unwrap_err()
                .contains("give the filters")
        );
        assert!(
            parse_layers("dense:x")
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            parse_layers("lstm:8")
                .unwrap_err()
                .contains("is not a layer")
        );
    }
}
