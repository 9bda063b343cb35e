//! The staged embedding format: 1024 little-endian `f32`s, nothing else (4096 bytes).

/// Titan Multimodal Embeddings G1's output length used by the export.
pub const EMBEDDING_DIM: usize = 1024;

/// A staged vector that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    /// Wrong byte length.
    #[error("a staged vector must be {expected} bytes, found {found}")]
    Length {
        /// 4 × [`EMBEDDING_DIM`].
        expected: usize,
        /// What was found.
        found: usize,
    },
    /// A component is NaN or infinite.
    #[error("component {0} of the staged vector is not a finite number")]
    NotFinite(usize),
}

/// Encodes a vector for staging.
pub fn encode_vector(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|f| f.to_le_bytes()).collect()
}

/// Decodes a staged vector, checking its length and that every component is finite.
pub fn decode_vector(bytes: &[u8]) -> Result<Vec<f32>, VectorError> {
    if bytes.len() != EMBEDDING_DIM * 4 {
        return Err(VectorError::Length {
            expected: EMBEDDING_DIM * 4,
            found: bytes.len(),
        });
    }
    let out: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if let Some(i) = out.iter().position(|f| !f.is_finite()) {
        return Err(VectorError::NotFinite(i));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks() {
        let v: Vec<f32> = (0..EMBEDDING_DIM).map(|i| i as f32 / 7.0).collect();
        assert_eq!(decode_vector(&encode_vector(&v)).unwrap(), v);
        assert!(matches!(
            decode_vector(&[0; 12]),
            Err(VectorError::Length { found: 12, .. })
        ));
        let mut bad = v.clone();
        bad[3] = f32::NAN;
        assert_eq!(
            decode_vector(&encode_vector(&bad)),
            Err(VectorError::NotFinite(3))
        );
    }
}
