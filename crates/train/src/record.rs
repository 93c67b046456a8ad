//! Weight files that know when they are damaged.
//!
//! burn's burnpack files have no checksum: a bit flipped in a tensor's data loads as a
//! silently different network. aprende seals every file it writes (`model.bpk` and the
//! checkpoints) with the SHA-256 of its content, kept in the burnpack's own metadata under
//! [`CHECKSUM_KEY`], so the file stays an ordinary burnpack that burn reads as before. Loading
//! checks it: a truncated, zeroed or bit-flipped file is an error that names it. Files written
//! before sealing (no checksum) load unchecked.

use std::path::{Path, PathBuf};

use burn::train::checkpoint::{Checkpoint, Checkpointer, CheckpointerError};
use burn_pack::{Bytes, Reader, Tensor, Writer};
use sha2::{Digest, Sha256};

use crate::error::TrainError;

/// The metadata key of the checksum.
pub const CHECKSUM_KEY: &str = "aprende.sha256";

/// The SHA-256 of a burnpack's content: its metadata (but the checksum), scalars and tensors
/// (name, type, shape, parameter id and bytes), in the file's own order.
fn digest(reader_metadata: &[(String, String)], scalars: &str, tensors: &[Tensor]) -> String {
    let mut hash = Sha256::new();
    for (key, value) in reader_metadata {
        if key != CHECKSUM_KEY {
            hash.update(format!("{key}={value}\n").as_bytes());
        }
    }
    hash.update(scalars.as_bytes());
    for tensor in tensors {
        hash.update(
            format!(
                "{}:{:?}:{:?}:{:?}\n",
                tensor.name, tensor.dtype, tensor.shape, tensor.param_id
            )
            .as_bytes(),
        );
        if let Ok(bytes) = tensor.to_bytes() {
            hash.update(&bytes[..]);
        }
    }
    format!("{:x}", hash.finalize())
}

/// A burnpack taken apart: what [`seal`] and [`unseal`] hash.
struct Parts {
    metadata: Vec<(String, String)>,
    scalars: Vec<(String, burn_pack::Scalar)>,
    tensors: Vec<Tensor>,
}

impl Parts {
    fn read(bytes: Bytes) -> Result<Parts, String> {
        let reader = Reader::from_bytes(bytes).map_err(|e| e.to_string())?;
        let metadata = reader
            .metadata()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let scalars = reader
            .scalars()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let tensors = reader.into_tensors().map_err(|e| e.to_string())?;
        Ok(Parts {
            metadata,
            scalars,
            tensors,
        })
    }

    fn digest(&self) -> String {
        digest(
            &self.metadata,
            &format!("{:?}", self.scalars),
            &self.tensors,
        )
    }

    fn checksum(&self) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == CHECKSUM_KEY)
            .map(|(_, v)| v.as_str())
    }
}

/// `bytes` (a burnpack) with the checksum of its content added.
pub fn seal(bytes: Bytes) -> Result<Bytes, String> {
    let parts = Parts::read(bytes)?;
    let checksum = parts.digest();
    let mut tensors = Vec::with_capacity(parts.tensors.len());
    for tensor in parts.tensors {
        let (name, dtype, shape, id, data) = tensor.into_parts().map_err(|e| e.to_string())?;
        tensors.push(Tensor::new(name, dtype, shape, id, data));
    }
    let mut writer = Writer::new(tensors);
    for (key, value) in &parts.metadata {
        if key != CHECKSUM_KEY {
            writer = writer.with_metadata(key, value);
        }
    }
    writer = writer.with_metadata(CHECKSUM_KEY, &checksum);
    for (key, value) in &parts.scalars {
        writer = writer.with_scalar(key, *value);
    }
    writer.into_bytes().map_err(|e| e.to_string())
}

/// Checks `bytes`, read from `path`, against its checksum; an error names the file.
pub fn verify(path: &Path, bytes: Bytes) -> Result<Bytes, TrainError> {
    let damaged = |why: String| {
        TrainError::Record(format!(
            "{}: the file is damaged ({why}); it cannot be used: retrain, or resume from an \
             earlier checkpoint",
            path.display()
        ))
    };
    let parts = Parts::read(bytes.clone())
        .map_err(|e| damaged(format!("not a whole burnpack file: {e}")))?;
    if let Some(expected) = parts.checksum()
        && parts.digest() != expected
    {
        return Err(damaged(
            "its content does not match the checksum it was written with".into(),
        ));
    }
    Ok(bytes)
}

/// Reads the burnpack at `path` and verifies it.
pub fn read_verified(path: &Path) -> Result<Bytes, TrainError> {
    let bytes = std::fs::read(path).map_err(|e| {
        TrainError::Record(format!(
            "{}: {e}{}",
            path.display(),
            if e.kind() == std::io::ErrorKind::NotFound {
                " (train a model first: cargo run --release -p train)"
            } else {
                ""
            }
        ))
    })?;
    verify(path, Bytes::from_bytes_vec(bytes))
}

/// Writes `bytes` (a burnpack) sealed to `path`, atomically: a failure leaves the earlier
/// file, never a half-written one, and names `path`.
pub fn write_sealed(path: &Path, bytes: Bytes) -> Result<(), TrainError> {
    let sealed = seal(bytes).map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))?;
    data::fsutil::write_atomic(path, &sealed)?;
    Ok(())
}

/// burn-train's checkpointer, writing sealed files atomically and verifying them on restore.
/// The files are those of burn's own `FileCheckpointer`: `DIR/NAME-EPOCH.bpk`.
pub struct SealedCheckpointer {
    directory: PathBuf,
    name: &'static str,
}

impl SealedCheckpointer {
    /// Checkpoints named `name-EPOCH.bpk` in `directory`.
    pub fn new(directory: &Path, name: &'static str) -> Self {
        Self {
            directory: directory.to_path_buf(),
            name,
        }
    }

    fn path(&self, epoch: usize) -> PathBuf {
        self.directory.join(format!("{}-{epoch}.bpk", self.name))
    }
}

impl<R: Checkpoint> Checkpointer<R> for SealedCheckpointer {
    fn save(&self, epoch: usize, record: R) -> Result<(), CheckpointerError> {
        let bytes = record
            .checkpoint_into_bytes()
            .map_err(CheckpointerError::Record)?;
        write_sealed(&self.path(epoch), bytes)
            .map_err(|e| CheckpointerError::Unknown(crate::describe(&e)))
    }

    fn delete(&self, epoch: usize) -> Result<(), CheckpointerError> {
        match std::fs::remove_file(self.path(epoch)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(CheckpointerError::IOError(e))
            }
            _ => Ok(()),
        }
    }

    fn restore(&self, epoch: usize) -> Result<R, CheckpointerError> {
        let path = self.path(epoch);
        let bytes =
            read_verified(&path).map_err(|e| CheckpointerError::Unknown(crate::describe(&e)))?;
        R::checkpoint_from_bytes(bytes).map_err(CheckpointerError::Record)
    }
}

/// Reads and verifies the burnpack at `path` as a record of type `R`.
pub fn load<R: Checkpoint>(path: &Path) -> Result<R, TrainError> {
    let bytes = read_verified(path)?;
    R::checkpoint_from_bytes(bytes)
        .map_err(|e| TrainError::Record(format!("{}: not a burn record: {e}", path.display())))
}
