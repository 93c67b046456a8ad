//! Zip archives (Python wheels, the MovieLens sets): recognised by their magic bytes, and their
//! members extracted atomically, all or none.

use std::fs;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::fsutil::{PendingFile, Streamed, create_parent};

/// Whether the file at `path` is a zip archive (a wheel), by its magic bytes (`PK\x03\x04`,
/// or `PK\x05\x06` for an empty archive), whatever its extension.
pub fn is_zip(path: &Path) -> Result<bool> {
    let mut input = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match input.read(&mut magic[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DataError::io(path, e)),
        }
    }
    Ok(&magic == b"PK\x03\x04" || &magic == b"PK\x05\x06")
}

/// What the `check` of [`extract_zip`] sees of a member.
#[derive(Debug, Clone, Copy)]
pub enum MemberCheck<'a> {
    /// Before anything is extracted: the size the archive declares for it.
    Declared(u64),
    /// Once it is written to its temporary file, before it is renamed into place.
    Written(&'a Streamed),
}

/// Extracts members of the zip archive at `archive` into place, atomically, all or none.
///
/// - `pick` chooses, from the names of the archive's entries, the members to extract and the
///   destination of each (or refuses the archive: a member is missing).
/// - `check(member, ..)` sees the size each member declares, then its size and sha256 once it
///   is written, and may refuse it.
/// - Each member is streamed to a temporary file beside its destination (whose folder is
///   created if need be), and synced; only when every member is written and checked are they
///   renamed into place, so a bad archive leaves nothing under the final names, and no
///   temporary file.
/// - `fail(member, problem)` words what is wrong with the archive (`member` is `None`: not a
///   readable zip) or with one of its members (it cannot be read, it is corrupt), as the
///   caller's error.
pub fn extract_zip(
    archive: &Path,
    pick: impl FnOnce(&[String]) -> Result<Vec<(String, PathBuf)>>,
    mut check: impl FnMut(&str, MemberCheck<'_>) -> Result<()>,
    fail: impl Fn(Option<&str>, String) -> DataError,
) -> Result<()> {
    let input = fs::File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(input)).map_err(|e| {
        fail(
            None,
            format!("not a readable zip archive (corrupt or truncated?): {e}"),
        )
    })?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let members = pick(&names)?;
    let mut written = Vec::with_capacity(members.len());
    for (member, dest) in &members {
        let mut entry = zip
            .by_name(member)
            .map_err(|e| fail(Some(member), format!("cannot be read: {e}")))?;
        check(member, MemberCheck::Declared(entry.size()))?;
        create_parent(dest)?;
        let (file, streamed) = PendingFile::stream(
            dest,
            &mut entry,
            |bytes, e| fail(Some(member), format!("corrupt after {bytes} bytes: {e}")),
            |_| {},
        )?;
        check(member, MemberCheck::Written(&streamed))?;
        written.push(file);
    }
    // Dropped on an error, the files not yet renamed are removed.
    written.into_iter().try_for_each(PendingFile::commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_file_is_not_a_zip_and_a_missing_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short");
        fs::write(&short, b"PK").unwrap();
        assert!(!is_zip(&short).unwrap());
        let err = is_zip(&dir.path().join("nope")).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }

    /// A stored (uncompressed) zip at `path` with `(name, bytes)` members.
    fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in members {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn members_are_extracted_all_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("set.zip");
        write_zip(&archive, &[("set/a.txt", b"aaa"), ("set/b.txt", b"bb")]);
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let pick = |names: &[String]| {
            Ok(names
                .iter()
                .map(|n| (n.clone(), out.join(n.trim_start_matches("set/"))))
                .collect())
        };
        let fail = |member: Option<&str>, problem: String| {
            DataError::Invalid(format!("{member:?}: {problem}"))
        };

        // The second member is refused once written: neither is left, nor a temporary file.
        let refuse_b = |member: &str, check: MemberCheck<'_>| match check {
            MemberCheck::Written(w) if member.ends_with("b.txt") => {
                Err(DataError::Invalid(format!("{} bytes", w.bytes)))
            }
            _ => Ok(()),
        };
        let err = extract_zip(&archive, pick, refuse_b, fail).unwrap_err();
        assert_eq!(err.to_string(), "2 bytes");
        assert!(entries(&out).is_empty(), "{:?}", entries(&out));

        // Accepted: both are in place, with the sizes and sha256 the check saw.
        let mut seen = Vec::new();
        let accept = |member: &str, check: MemberCheck<'_>| {
            if let MemberCheck::Written(w) = check {
                seen.push((member.to_string(), w.clone()));
            }
            Ok(())
        };
        extract_zip(&archive, pick, accept, fail).unwrap();
        assert_eq!(entries(&out), ["a.txt", "b.txt"]);
        assert_eq!(fs::read(out.join("a.txt")).unwrap(), b"aaa");
        assert_eq!(seen[1].0, "set/b.txt");
        assert_eq!(seen[1].1.bytes, 2);
        assert_eq!(
            seen[1].1.sha256,
            crate::fsutil::sha256_file(&out.join("b.txt")).unwrap()
        );

        // Not a zip: `fail` words it, about the archive itself.
        let err = extract_zip(&out.join("a.txt"), pick, |_, _| Ok(()), fail).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("None: not a readable zip archive"),
            "{err}"
        );
    }
}
