//! A composable, seeded augmentation pipeline for training images: random horizontal flip,
//! rotation, shift, zoom, random crop, brightness and contrast jitter.
//!
//! Geometric operations are combined into one affine map, sampled bilinearly with the edge
//! pixels repeated outside the image (Keras's `fill_mode="nearest"`). Every draw comes from a
//! generator seeded by (seed, example, how many times that example has been augmented), so the
//! same seed gives the same augmented batches however the loader's threads are scheduled, and
//! each epoch gets new draws.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::error::DataError;

/// One augmentation and its strength.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "op", content = "strength")]
pub enum Op {
    /// Mirror left-right with probability one half.
    Flip,
    /// Rotate by up to this many degrees either way.
    Rotate(f32),
    /// Shift by up to this fraction of the size, in each direction.
    Shift(f32),
    /// Zoom in or out by up to this fraction.
    Zoom(f32),
    /// Scale intensities by 1 + up to this fraction either way.
    Brightness(f32),
    /// Scale the distance from the mean intensity by 1 + up to this fraction either way.
    Contrast(f32),
    /// Crop a random window of 1 - up to this fraction of each side, resized back.
    Crop(f32),
}

/// An ordered list of augmentations (`--augment flip,rotate=15,...`, or `none`).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Pipeline {
    /// The operations.
    pub ops: Vec<Op>,
}

impl FromStr for Pipeline {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self, DataError> {
        let s = s.trim();
        if s.is_empty() || s == "none" {
            return Ok(Pipeline::default());
        }
        let bad = |m: String| DataError::Invalid(format!("--augment: {m}"));
        let ops = s
            .split(',')
            .map(|part| {
                let (name, value) = match part.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim())),
                    None => (part.trim(), None),
                };
                let value = |default: f32| -> Result<f32, DataError> {
                    match value {
                        None => Ok(default),
                        Some(v) => v
                            .parse::<f32>()
                            .ok()
                            .filter(|x| x.is_finite() && *x >= 0.0)
                            .ok_or_else(|| bad(format!("`{v}` is not a non-negative number in `{part}`"))),
                    }
                };
                match name {
                    "flip" => Ok(Op::Flip),
                    "rotate" => value(15.0).map(Op::Rotate),
                    "shift" => value(0.1).map(Op::Shift),
                    "zoom" => value(0.1).map(Op::Zoom),
                    "brightness" => value(0.2).map(Op::Brightness),
                    "contrast" => value(0.2).map(Op::Contrast),
                    "crop" => value(0.1).and_then(|v| {
                        if v < 1.0 { Ok(Op::Crop(v)) } else { Err(bad(format!("crop must be below 1, got {v}"))) }
                    }),
                    other => Err(bad(format!(
                        "unknown augmentation `{other}` (flip, rotate=DEG, shift=F, zoom=F, brightness=F, contrast=F, crop=F, or none)"
                    ))),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Pipeline { ops })
    }
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ops.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self
            .ops
            .iter()
            .map(|op| match op {
                Op::Flip => "flip".to_string(),
                Op::Rotate(v) => format!("rotate={v}"),
                Op::Shift(v) => format!("shift={v}"),
                Op::Zoom(v) => format!("zoom={v}"),
                Op::Brightness(v) => format!("brightness={v}"),
                Op::Contrast(v) => format!("contrast={v}"),
                Op::Crop(v) => format!("crop={v}"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// Maps output pixel coordinates to source coordinates: `src = a * dst + b` (2x2 plus offset).
#[derive(Debug, Clone, Copy)]
struct Affine {
    m: [f32; 4],
    t: [f32; 2],
}

impl Affine {
    const IDENTITY: Affine = Affine {
        m: [1.0, 0.0, 0.0, 1.0],
        t: [0.0, 0.0],
    };

    fn is_identity(&self) -> bool {
        self.m == [1.0, 0.0, 0.0, 1.0] && self.t == [0.0, 0.0]
    }

    /// `self` applied after `other` on destination coordinates: src = self(other(dst)).
    fn then(self, other: Affine) -> Affine {
        let [a, b, c, d] = self.m;
        let [e, f, g, h] = other.m;
        Affine {
            m: [a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h],
            t: [
                a * other.t[0] + b * other.t[1] + self.t[0],
                c * other.t[0] + d * other.t[1] + self.t[1],
            ],
        }
    }

    /// A map about the image centre.
    fn centred(m: [f32; 4], shift: [f32; 2], w: usize, h: usize) -> Affine {
        let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
        Affine {
            m,
            t: [
                cx - m[0] * cx - m[1] * cy + shift[0],
                cy - m[2] * cx - m[3] * cy + shift[1],
            ],
        }
    }
}

impl Pipeline {
    /// Whether the pipeline changes nothing.
    pub fn is_identity(&self) -> bool {
        self.ops.is_empty()
    }

    /// Augments one image of `channels` planes of `height * width` bytes, drawing from `rng`.
    pub fn apply(
        &self,
        pixels: &[u8],
        channels: usize,
        height: usize,
        width: usize,
        rng: &mut StdRng,
    ) -> Vec<u8> {
        let (w, h) = (width, height);
        let mut affine = Affine::IDENTITY;
        let (mut gain, mut contrast) = (1.0f32, 1.0f32);
        let sym = |rng: &mut StdRng, v: f32| {
            if v > 0.0 {
                rng.random_range(-v..=v)
            } else {
                0.0
            }
        };
        for op in &self.ops {
            let step = match *op {
                Op::Flip => {
                    if rng.random_bool(0.5) {
                        Affine::centred([-1.0, 0.0, 0.0, 1.0], [0.0, 0.0], w, h)
                    } else {
                        Affine::IDENTITY
                    }
                }
                Op::Rotate(deg) => {
                    let a = sym(rng, deg).to_radians();
                    let (s, c) = a.sin_cos();
                    Affine::centred([c, -s, s, c], [0.0, 0.0], w, h)
                }
                Op::Shift(f) => {
                    let dx = sym(rng, f) * w as f32;
                    let dy = sym(rng, f) * h as f32;
                    Affine::centred([1.0, 0.0, 0.0, 1.0], [dx, dy], w, h)
                }
                Op::Zoom(f) => {
                    let z = 1.0 + sym(rng, f);
                    Affine::centred([z, 0.0, 0.0, z], [0.0, 0.0], w, h)
                }
                Op::Crop(f) => {
                    let keep = 1.0
                        - if f > 0.0 {
                            rng.random_range(0.0..=f)
                        } else {
                            0.0
                        };
                    let room_x = (1.0 - keep) * w as f32 / 2.0;
                    let room_y = (1.0 - keep) * h as f32 / 2.0;
                    let dx = sym(rng, 1.0) * room_x;
                    let dy = sym(rng, 1.0) * room_y;
                    Affine::centred([keep, 0.0, 0.0, keep], [dx, dy], w, h)
                }
                Op::Brightness(f) => {
                    gain *= 1.0 + sym(rng, f);
                    Affine::IDENTITY
                }
                Op::Contrast(f) => {
                    contrast *= 1.0 + sym(rng, f);
                    Affine::IDENTITY
                }
            };
            affine = affine.then(step);
        }
        let plane = w * h;
        let mut out = if affine.is_identity() {
            pixels.to_vec()
        } else {
            let mut out = vec![0u8; pixels.len()];
            for y in 0..h {
                for x in 0..w {
                    let sx = affine.m[0] * x as f32 + affine.m[1] * y as f32 + affine.t[0];
                    let sy = affine.m[2] * x as f32 + affine.m[3] * y as f32 + affine.t[1];
                    let sx = sx.clamp(0.0, (w - 1) as f32);
                    let sy = sy.clamp(0.0, (h - 1) as f32);
                    let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
                    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
                    let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                    for c in 0..channels {
                        let p = &pixels[c * plane..(c + 1) * plane];
                        let at = |xx: usize, yy: usize| f32::from(p[yy * w + xx]);
                        let v = at(x0, y0) * (1.0 - fx) * (1.0 - fy)
                            + at(x1, y0) * fx * (1.0 - fy)
                            + at(x0, y1) * (1.0 - fx) * fy
                            + at(x1, y1) * fx * fy;
                        out[c * plane + y * w + x] = v.round().clamp(0.0, 255.0) as u8;
                    }
                }
            }
            out
        };
        if gain != 1.0 || contrast != 1.0 {
            let mean = out.iter().map(|&v| f32::from(v)).sum::<f32>() / out.len().max(1) as f32;
            for v in &mut out {
                let x = ((f32::from(*v) - mean) * contrast + mean) * gain;
                *v = x.round().clamp(0.0, 255.0) as u8;
            }
        }
        out
    }
}

/// A pipeline with its seed and a draw counter per example, shared by the loader's threads.
#[derive(Debug)]
pub struct Augmenter {
    pipeline: Pipeline,
    seed: u64,
    draws: Vec<AtomicU32>,
}

impl Augmenter {
    /// An augmenter for a set of `len` examples.
    pub fn new(pipeline: Pipeline, seed: u64, len: usize) -> Self {
        Self {
            pipeline,
            seed,
            draws: (0..len).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// The generator of the `draw`-th augmentation of example `index`.
    pub fn rng(seed: u64, index: usize, draw: u32) -> StdRng {
        // SplitMix64-style mixing of the three numbers into one seed.
        let mut z = seed
            ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ u64::from(draw).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        StdRng::seed_from_u64(z ^ (z >> 31))
    }

    /// Augments example `index` (its next draw).
    pub fn augment(
        &self,
        index: usize,
        pixels: &[u8],
        channels: usize,
        height: usize,
        width: usize,
    ) -> Vec<u8> {
        let draw = self.draws[index].fetch_add(1, Ordering::Relaxed);
        let mut rng = Self::rng(self.seed, index, draw);
        self.pipeline
            .apply(pixels, channels, height, width, &mut rng)
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
}
