//! The packed embedding matrix: many vectors and their ids in one S3 object, so a
//! list of embeddings never travels through the state machine (100 vectors are ~400 KB
//! of JSON, over Step Functions' 256 KiB).
//!
//! Format (all integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 4 | magic `SWMX` |
//! | 4 | version, `u32` = 1 |
//! | 4 | rows `n`, `u32` |
//! | 4 | dimension `d`, `u32` |
//! | per row | id length `u16`, then the id's UTF-8 bytes |
//! | `n × d × 4` | the rows, row-major, `f32` |

use thiserror::Error;

/// The magic bytes of a packed matrix.
pub const MAGIC: &[u8; 4] = b"SWMX";
/// The format version written.
pub const VERSION: u32 = 1;

/// Ids and equally long vectors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    /// The vectors' length.
    pub dimension: usize,
    /// One id per row.
    pub ids: Vec<String>,
    /// The rows, row-major (`ids.len() × dimension`).
    pub data: Vec<f32>,
}

/// Why bytes are not a packed matrix, or a matrix cannot be packed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MatrixError {
    /// Not the magic or version.
    #[error("not a packed matrix (magic or version {0} unknown)")]
    Header(u32),
    /// Ends early or has bytes left over.
    #[error("the packed matrix is {found} bytes where its header promises {expected}")]
    Length {
        /// Bytes present.
        found: usize,
        /// Bytes the header implies.
        expected: usize,
    },
    /// An id is not UTF-8 or too long.
    #[error("row {0}: the id is not UTF-8 of at most 65535 bytes")]
    Id(usize),
    /// A row of the wrong length was pushed.
    #[error("row {row}: {found} components where the matrix has {expected}")]
    Row {
        /// The row.
        row: usize,
        /// Its length.
        found: usize,
        /// The matrix's dimension.
        expected: usize,
    },
}

impl Matrix {
    /// An empty matrix of vectors of length `dimension`.
    pub fn new(dimension: usize) -> Self {
        Matrix {
            dimension,
            ids: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, id: impl Into<String>, row: &[f32]) -> Result<(), MatrixError> {
        if row.len() != self.dimension {
            return Err(MatrixError::Row {
                row: self.ids.len(),
                found: row.len(),
                expected: self.dimension,
            });
        }
        self.ids.push(id.into());
        self.data.extend_from_slice(row);
        Ok(())
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dimension..(i + 1) * self.dimension]
    }

    /// The packed bytes.
    pub fn encode(&self) -> Result<Vec<u8>, MatrixError> {
        let ids: usize = self.ids.iter().map(|id| 2 + id.len()).sum();
        let mut out = Vec::with_capacity(16 + ids + self.data.len() * 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.ids.len() as u32).to_le_bytes());
        out.extend_from_slice(&(self.dimension as u32).to_le_bytes());
        for (i, id) in self.ids.iter().enumerate() {
            let len = u16::try_from(id.len()).map_err(|_| MatrixError::Id(i))?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(id.as_bytes());
        }
        for x in &self.data {
            out.extend_from_slice(&x.to_le_bytes());
        }
        Ok(out)
    }

    /// Reads packed bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, MatrixError> {
        let word = |at: usize| -> Option<u32> {
            bytes
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        let short = |expected: usize| MatrixError::Length {
            found: bytes.len(),
            expected,
        };
        if bytes.len() < 16 || &bytes[..4] != MAGIC {
            return Err(MatrixError::Header(0));
        }
        let version = word(4).ok_or(short(16))?;
        if version != VERSION {
            return Err(MatrixError::Header(version));
        }
        let rows = word(8).ok_or(short(16))? as usize;
        let dimension = word(12).ok_or(short(16))? as usize;
        let mut at = 16;
        let mut ids = Vec::with_capacity(rows.min(1 << 20));
        for i in 0..rows {
            let len = bytes
                .get(at..at + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                .ok_or(short(at + 2))?;
            at += 2;
            let id = bytes.get(at..at + len).ok_or(short(at + len))?;
            ids.push(String::from_utf8(id.to_vec()).map_err(|_| MatrixError::Id(i))?);
            at += len;
        }
        let expected = rows
            .checked_mul(dimension)
            .and_then(|n| n.checked_mul(4))
            .and_then(|n| n.checked_add(at))
            .ok_or(short(usize::MAX))?;
        if bytes.len() != expected {
            return Err(short(expected));
        }
        let data = bytes[at..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Matrix {
            dimension,
            ids,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_round_trips_and_its_layout_is_as_documented() {
        let mut m = Matrix::new(2);
        m.push("a", &[1.0, -2.5]).unwrap();
        m.push("ü", &[0.0, 3.0]).unwrap();
        let bytes = m.encode().unwrap();
        assert_eq!(&bytes[..4], b"SWMX");
        assert_eq!(bytes.len(), 16 + (2 + 1) + (2 + 2) + 4 * 4);
        assert_eq!(&bytes[16..19], &[1, 0, b'a']);
        assert_eq!(Matrix::decode(&bytes).unwrap(), m);
        assert_eq!(m.row(1), &[0.0, 3.0]);
    }

    #[test]
    fn damaged_bytes_say_what_is_wrong() {
        let mut m = Matrix::new(2);
        m.push("a", &[1.0, 2.0]).unwrap();
        let bytes = m.encode().unwrap();
        assert!(matches!(
            Matrix::decode(&bytes[..bytes.len() - 1]),
            Err(MatrixError::Length { .. })
        ));
        assert!(matches!(
            Matrix::decode(b"nope"),
            Err(MatrixError::Header(_))
        ));
        assert!(matches!(m.push("b", &[1.0]), Err(MatrixError::Row { .. })));
    }
}
