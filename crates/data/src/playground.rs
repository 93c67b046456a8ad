//! The four two-class problems of the TensorFlow Playground, generated as its datasets are:
//! `circle` (a disc inside a ring), `xor` (the four quadrants), `gauss` (two Gaussian clouds)
//! and `spiral` (two interleaved spirals).
//!
//! Every example has two features, the point's coordinates `(x1, x2)`, roughly in `[-6, 6]`.
//! Label 0 is the Playground's orange class (its -1), label 1 its blue class (its +1).
//! `noise` (in `[0, 0.5]`, the Playground's 0 to 50%) blurs each problem as the Playground does:
//! circle and xor label each point by a randomly shifted copy of it (so labels near the border
//! flip), gauss widens its clouds, spiral shifts its points.
//!
//! The points depend only on the problem, the count, the noise and the seed: the generator is
//! xoshiro256++ (seeded with SplitMix64) and the trigonometry and logarithm are computed here
//! with plain `+ - * /` and `sqrt` (no platform maths library), so the same seed gives
//! bit-identical points on every platform.

use std::f64::consts::{FRAC_PI_2, PI, TAU};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

use crate::error::{DataError, Result};
use crate::images::{ImageSet, Values};
use crate::names::impl_named;

/// The largest `--points` [`generate`] accepts.
pub const MAX_POINTS: usize = 1_000_000;

/// The largest `--noise` [`generate`] accepts (the Playground's 50%).
pub const MAX_NOISE: f64 = 0.5;

/// One of the Playground's classification problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A blue disc (radius 2.5) inside an orange ring (radii 3.5 to 5).
    Circle,
    /// Blue in the first and third quadrants, orange in the second and fourth.
    Xor,
    /// A blue Gaussian cloud around (2, 2), an orange one around (-2, -2).
    Gauss,
    /// Two interleaved spirals, blue and orange, of radius 5.
    Spiral,
}

impl Problem {
    /// Every problem, in the Playground's order.
    pub const ALL: [Problem; 4] = [
        Problem::Circle,
        Problem::Xor,
        Problem::Gauss,
        Problem::Spiral,
    ];

    /// The name `--dataset` takes (`circle`, `xor`, `gauss`, `spiral`).
    pub fn name(self) -> &'static str {
        match self {
            Problem::Circle => "circle",
            Problem::Xor => "xor",
            Problem::Gauss => "gauss",
            Problem::Spiral => "spiral",
        }
    }
}

impl_named!(Problem, name, "Playground problem", "problems");

/// Label of the Playground's orange class (its -1).
const ORANGE: usize = 0;
/// Label of the Playground's blue class (its +1).
const BLUE: usize = 1;

/// `points` examples of `problem` with `noise` (in `[0, 0.5]`), as a table of two features
/// (`channels` 2, `height` and `width` 1, `f32` values) with the classes `orange` (0) and
/// `blue` (1), in an order shuffled by `seed` (not sorted by class).
///
/// Half the points (rounded down) are generated as blue, the rest as orange; with noise,
/// circle and xor relabel the points near their border, so the counts may then differ.
/// A `noise` outside `[0, 0.5]`, or `points` outside `4..=1_000_000`, is an error naming
/// the flag (`--noise`, `--points`).
pub fn generate(problem: Problem, points: usize, noise: f64, seed: u64) -> Result<ImageSet> {
    if !(0.0..=MAX_NOISE).contains(&noise) {
        return Err(DataError::Invalid(format!(
            "--noise must be in [0, {MAX_NOISE}] (the Playground's 0 to 50%), got {noise}"
        )));
    }
    if !(4..=MAX_POINTS).contains(&points) {
        return Err(DataError::Invalid(format!(
            "--points must be between 4 and {MAX_POINTS}, got {points}"
        )));
    }
    let mut rng = Draw(Xoshiro256PlusPlus::seed_from_u64(seed));
    let n_blue = points / 2;
    let n_orange = points - n_blue;
    let mut examples: Vec<(f64, f64, usize)> = Vec::with_capacity(points);
    match problem {
        Problem::Circle => circle(&mut rng, n_blue, n_orange, noise, &mut examples),
        Problem::Xor => xor(&mut rng, points, noise, &mut examples),
        Problem::Gauss => gauss(&mut rng, n_blue, n_orange, noise, &mut examples),
        Problem::Spiral => {
            spiral(&mut rng, n_blue, 0.0, BLUE, noise, &mut examples);
            spiral(&mut rng, n_orange, PI, ORANGE, noise, &mut examples);
        }
    }
    rng.shuffle(&mut examples);
    let mut values = Vec::with_capacity(2 * points);
    let mut labels = Vec::with_capacity(points);
    for (x, y, label) in examples {
        values.push(x as f32);
        values.push(y as f32);
        labels.push(label);
    }
    Ok(ImageSet {
        channels: 2,
        height: 1,
        width: 1,
        values: Values::F32(values),
        labels,
        class_names: vec!["orange".into(), "blue".into()],
        targets: None,
    })
}

/// The circle problem's radius.
const RADIUS: f64 = 5.0;

/// Blue inside radius 2.5, orange in the ring from 3.5 to 5; each point labelled by where it
/// lies once shifted by `uniform(-5, 5) * noise` on each axis.
fn circle(
    rng: &mut Draw,
    n_blue: usize,
    n_orange: usize,
    noise: f64,
    out: &mut Vec<(f64, f64, usize)>,
) {
    let rings = [
        (n_blue, 0.0, 0.5 * RADIUS),
        (n_orange, 0.7 * RADIUS, RADIUS),
    ];
    for (count, r_min, r_max) in rings {
        for _ in 0..count {
            let r = rng.uniform(r_min, r_max);
            let angle = rng.uniform(0.0, TAU);
            let (s, c) = sin_cos(angle);
            let (x, y) = (r * s, r * c);
            let nx = rng.uniform(-RADIUS, RADIUS) * noise;
            let ny = rng.uniform(-RADIUS, RADIUS) * noise;
            let (px, py) = (x + nx, y + ny);
            let inside = (px * px + py * py).sqrt() < 0.5 * RADIUS;
            out.push((x, y, if inside { BLUE } else { ORANGE }));
        }
    }
}

/// Points uniform in `[-5, 5]` on each axis, pushed 0.3 away from the axes; blue where
/// `x * y >= 0` for the point shifted by `uniform(-5, 5) * noise` on each axis.
fn xor(rng: &mut Draw, points: usize, noise: f64, out: &mut Vec<(f64, f64, usize)>) {
    const PADDING: f64 = 0.3;
    let pad = |v: f64| if v > 0.0 { v + PADDING } else { v - PADDING };
    for _ in 0..points {
        let x = pad(rng.uniform(-5.0, 5.0));
        let y = pad(rng.uniform(-5.0, 5.0));
        let nx = rng.uniform(-5.0, 5.0) * noise;
        let ny = rng.uniform(-5.0, 5.0) * noise;
        let label = if (x + nx) * (y + ny) >= 0.0 {
            BLUE
        } else {
            ORANGE
        };
        out.push((x, y, label));
    }
}

/// Two Gaussian clouds, blue around (2, 2) and orange around (-2, -2), whose variance grows
/// linearly from 0.5 at noise 0 to 4 at noise 0.5.
fn gauss(
    rng: &mut Draw,
    n_blue: usize,
    n_orange: usize,
    noise: f64,
    out: &mut Vec<(f64, f64, usize)>,
) {
    let variance = 0.5 + (4.0 - 0.5) * noise / MAX_NOISE;
    let sd = variance.sqrt();
    for (count, centre, label) in [(n_blue, 2.0, BLUE), (n_orange, -2.0, ORANGE)] {
        for _ in 0..count {
            let x = centre + sd * rng.normal();
            let y = centre + sd * rng.normal();
            out.push((x, y, label));
        }
    }
}

/// One spiral arm of `count` points, turned by `delta` radians: point `i` at radius
/// `5 i / count` and angle `1.75 * 2π i / count + delta`, shifted by `uniform(-1, 1) * noise`
/// on each axis.
fn spiral(
    rng: &mut Draw,
    count: usize,
    delta: f64,
    label: usize,
    noise: f64,
    out: &mut Vec<(f64, f64, usize)>,
) {
    for i in 0..count {
        let f = i as f64 / count as f64;
        let r = f * 5.0;
        let t = 1.75 * f * TAU + delta;
        let (s, c) = sin_cos(t);
        let x = r * s + rng.uniform(-1.0, 1.0) * noise;
        let y = r * c + rng.uniform(-1.0, 1.0) * noise;
        out.push((x, y, label));
    }
}

/// The seeded generator and the draws the problems need, in portable arithmetic.
struct Draw(Xoshiro256PlusPlus);

impl Draw {
    /// Uniform in `[0, 1)`, from the top 53 bits of a `u64`.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A standard normal draw (Marsaglia's polar method).
    fn normal(&mut self) -> f64 {
        loop {
            let v1 = self.uniform(-1.0, 1.0);
            let v2 = self.uniform(-1.0, 1.0);
            let s = v1 * v1 + v2 * v2;
            // Far from 0 to keep ln finite; the rejected sliver has probability ~1e-200.
            if s < 1.0 && s > 1e-200 {
                return v1 * (-2.0 * ln(s) / s).sqrt();
            }
        }
    }

    /// A uniform index in `0..n` (`n > 0`), without modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }

    /// Fisher-Yates shuffle.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// `(sin x, cos x)` to within a few ulps for the moderate angles used here, in plain
/// arithmetic: reduction to `[-π/4, π/4]` by a two-part π/2, then Taylor series.
fn sin_cos(x: f64) -> (f64, f64) {
    // π/2 as a sum of two doubles, the first with its 5 lowest bits cleared so that
    // k * PI_2_HI is exact for |k| < 32 (the angles here have |k| <= 9).
    const PI_2_HI: f64 = f64::from_bits(FRAC_PI_2.to_bits() & !0x1f);
    const PI_2_LO: f64 = (FRAC_PI_2 - PI_2_HI) + 6.123_233_995_736_766e-17;
    let k = (x / FRAC_PI_2).round();
    let r = (x - k * PI_2_HI) - k * PI_2_LO;
    let r2 = r * r;
    // sin r = r - r^3/3! + ..., cos r = 1 - r^2/2! + ..., enough terms for |r| <= π/4.
    let mut sin = 0.0;
    let mut cos = 0.0;
    let mut sin_term = r;
    let mut cos_term = 1.0;
    for n in 0..11 {
        sin += sin_term;
        cos += cos_term;
        let a = (2 * n + 2) as f64;
        let b = (2 * n + 3) as f64;
        sin_term *= -r2 / (a * b);
        cos_term *= -r2 / ((a - 1.0) * a);
    }
    match (k as i64).rem_euclid(4) {
        0 => (sin, cos),
        1 => (cos, -sin),
        2 => (-sin, -cos),
        _ => (-cos, sin),
    }
}

/// The natural logarithm of a positive, normal `x`, in plain arithmetic: `x = m 2^e` with
/// `m` in `[√½, √2)`, then `ln m = 2 atanh((m - 1) / (m + 1))` by its series.
fn ln(x: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // |s| <= 0.1716, so s^25 / 25 is below 1e-20.
    let mut sum = 0.0;
    let mut power = s;
    for k in 0..12 {
        sum += power / (2 * k + 1) as f64;
        power *= s2;
    }
    e as f64 * LN_2 + 2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_maths_agree_with_std() {
        for i in -2000..2000 {
            let x = f64::from(i) * 0.0123;
            let (s, c) = sin_cos(x);
            assert!((s - x.sin()).abs() < 1e-14, "sin {x}: {s} vs {}", x.sin());
            assert!((c - x.cos()).abs() < 1e-14, "cos {x}: {c} vs {}", x.cos());
        }
        for i in 1..5000 {
            let x = f64::from(i) * 1e-3;
            assert!((ln(x) - x.ln()).abs() < 1e-14, "ln {x}");
        }
        assert!((ln(1e-150) - 1e-150f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn normal_draws_have_unit_variance() {
        let mut rng = Draw(Xoshiro256PlusPlus::seed_from_u64(7));
        let n = 20_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Problem::ALL {
            assert_eq!(p.to_string().parse::<Problem>().unwrap(), p);
        }
        assert!("moons".parse::<Problem>().is_err());
    }
}
