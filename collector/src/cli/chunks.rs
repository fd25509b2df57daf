//! Large inputs read in pieces: a file is read a block at a time and handed on in pieces
//! that end where the caller says a unit ends (a line, an `lmstat` output), so imports hold
//! one block, not the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// How much of a file is read at a time: the unit of an import's memory.
pub(crate) const BLOCK: usize = 8 << 20;

/// A file read in pieces of whole units.
pub(crate) struct Chunks {
    file: File,
    buf: Vec<u8>,
    eof: bool,
    /// 1-based number of the first line of the next piece.
    line: usize,
    block: usize,
}

impl Chunks {
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        Self::with_block(path, BLOCK)
    }

    /// As [`Chunks::open`] with pieces of about `block` bytes (tests use small ones).
    pub(crate) fn with_block(path: &Path, block: usize) -> io::Result<Self> {
        Ok(Self {
            file: File::open(path)?,
            buf: Vec::new(),
            eof: false,
            line: 1,
            block: block.max(1),
        })
    }

    /// The next piece and the line it starts at. `cut` gives the end of the last complete
    /// unit in the bytes read so far (`None`: no unit ends there yet); a unit longer than
    /// a block is read whole. Invalid UTF-8 is replaced, as elsewhere.
    pub(crate) fn next_piece(
        &mut self,
        cut: impl Fn(&[u8]) -> Option<usize>,
    ) -> io::Result<Option<(usize, String)>> {
        let mut want = self.block;
        loop {
            while !self.eof && self.buf.len() < want {
                let start = self.buf.len();
                self.buf.resize(want, 0);
                let n = self.file.read(&mut self.buf[start..])?;
                self.buf.truncate(start + n);
                self.eof = n == 0;
            }
            let end = if self.eof {
                self.buf.len()
            } else {
                match cut(&self.buf).filter(|&c| c > 0 && c <= self.buf.len()) {
                    Some(c) => c,
                    None => {
                        want = self.buf.len() + self.block;
                        continue;
                    }
                }
            };
            if end == 0 {
                return Ok(None);
            }
            let rest = self.buf.split_off(end);
            let bytes = std::mem::replace(&mut self.buf, rest);
            let first = self.line;
            self.line += memchr::memchr_iter(b'\n', &bytes).count();
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            return Ok(Some((first, text)));
        }
    }
}

/// The end of the last whole line.
pub(crate) fn after_last_line(bytes: &[u8]) -> Option<usize> {
    memchr::memrchr(b'\n', bytes).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_on_lines_and_count_them() {
        let dir = std::env::temp_dir().join(format!("lmscope-chunks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("f.txt");
        let text = "one\ntwo\nthree is longer than a block\nfour\nfive";
        std::fs::write(&path, text).expect("write");
        let mut chunks = Chunks::with_block(&path, 5).expect("open");
        let mut pieces = Vec::new();
        while let Some(p) = chunks.next_piece(after_last_line).expect("read") {
            pieces.push(p);
        }
        let joined: String = pieces.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(joined, text);
        for (line, piece) in &pieces {
            assert!(
                piece.ends_with('\n') || piece.ends_with("five"),
                "{piece:?}"
            );
            let first = piece.lines().next().expect("a line");
            assert_eq!(text.lines().nth(line - 1), Some(first), "line {line}");
        }
        assert!(pieces.len() >= 4, "{pieces:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
