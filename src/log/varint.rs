//! Kafka's zigzag varints (protobuf `sint`): sizes, encoding, and bounds-checked decoding.
//!
//! These run several times per record on both the append and the read path, so the
//! helpers are forced inline: the dev profile builds this crate at opt-level 1, which
//! would otherwise leave a call per field.

/// Longest encoding of a 64-bit varlong.
pub const MAX_VARLONG_LEN: usize = 10;

#[inline(always)]
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Bytes the varlong encoding of `value` takes.
#[inline(always)]
pub fn varlong_len(value: i64) -> usize {
    let bits = 64 - (zigzag(value) | 1).leading_zeros() as usize;
    // ceil(bits / 7) for bits in 1..=64, without a division (the test checks every case).
    (bits * 9 + 64) / 64
}

/// Writes varints and byte strings into a slice sized for them in advance, so that
/// encoding a record costs no capacity checks or buffer growth per field.
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> SliceWriter<'a> {
    #[inline(always)]
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceWriter { buf, pos: 0 }
    }

    /// Bytes written so far.
    #[inline(always)]
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    pub fn byte(&mut self, byte: u8) {
        self.buf[self.pos] = byte;
        self.pos += 1;
    }

    #[inline(always)]
    pub fn varlong(&mut self, value: i64) {
        let mut v = zigzag(value);
        // Most fields of a record (lengths and deltas below 64 or 8,192) take one or two
        // bytes: write those without the loop.
        if v < 0x80 {
            self.byte(v as u8);
            return;
        }
        if v < 0x4000 {
            self.byte((v as u8) | 0x80);
            self.byte((v >> 7) as u8);
            return;
        }
        while v >= 0x80 {
            self.byte((v as u8) | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }

    #[inline(always)]
    pub fn bytes(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        self.buf[self.pos..end].copy_from_slice(bytes);
        self.pos = end;
    }

    /// A length-prefixed field; `None` is written as length -1.
    #[inline(always)]
    pub fn field(&mut self, field: Option<&[u8]>) {
        match field {
            None => self.varlong(-1),
            Some(bytes) => {
                self.varlong(bytes.len() as i64);
                self.bytes(bytes);
            }
        }
    }
}

/// Bytes a length-prefixed field takes (see [`SliceWriter::field`]).
#[inline(always)]
pub fn field_len(field: Option<&[u8]>) -> usize {
    match field {
        None => 1,
        Some(bytes) => varlong_len(bytes.len() as i64) + bytes.len(),
    }
}

/// Decodes the varlong at `*pos` in `buf`, advancing `*pos`; the error says why not.
#[inline(always)]
pub fn read_varlong(buf: &[u8], pos: &mut usize) -> Result<i64, String> {
    // Most fields of a record (lengths and deltas below 8,192) take one or two bytes.
    if let Some(&[first, second]) = buf.get(*pos..*pos + 2) {
        if first & 0x80 == 0 {
            *pos += 1;
            return Ok(unzigzag(u64::from(first)));
        }
        if second & 0x80 == 0 {
            *pos += 2;
            return Ok(unzigzag(u64::from(first & 0x7f) | (u64::from(second) << 7)));
        }
    }
    read_varlong_multibyte(buf, pos)
}

fn read_varlong_multibyte(buf: &[u8], pos: &mut usize) -> Result<i64, String> {
    let mut result: u64 = 0;
    for shift in (0..70).step_by(7) {
        let byte = *buf
            .get(*pos)
            .ok_or_else(|| "record ends inside a varint".to_string())?;
        *pos += 1;
        if shift == 63 && byte > 1 {
            return Err("varint longer than 64 bits".into());
        }
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(unzigzag(result));
        }
    }
    Err(format!("varint longer than {MAX_VARLONG_LEN} bytes"))
}

#[inline(always)]
fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [i64; 12] = [
        0,
        1,
        -1,
        63,
        -64,
        64,
        300,
        -300,
        i64::MAX,
        i64::MIN,
        1 << 40,
        -(1 << 40),
    ];

    fn encode(value: i64) -> Vec<u8> {
        let mut buf = [0u8; MAX_VARLONG_LEN];
        let mut writer = SliceWriter::new(&mut buf);
        writer.varlong(value);
        let len = writer.position();
        buf[..len].to_vec()
    }

    #[test]
    fn varlong_round_trips_and_sizes() {
        for value in SAMPLES {
            let bytes = encode(value);
            assert_eq!(bytes.len(), varlong_len(value), "size of {value}");
            let mut pos = 0;
            assert_eq!(read_varlong(&bytes, &mut pos), Ok(value));
            assert_eq!(pos, bytes.len());
            // Followed by other bytes, as inside a record.
            let mut padded = bytes.clone();
            padded.extend_from_slice(&[0x81, 0x01]);
            let mut pos = 0;
            assert_eq!(read_varlong(&padded, &mut pos), Ok(value));
            assert_eq!(pos, bytes.len());
        }
    }

    #[test]
    fn varlong_len_is_the_encoded_length_at_every_bit_width() {
        for bits in 0..64 {
            for value in [1u64 << bits, (1u64 << bits) - 1] {
                // `value` as the zigzag encoding of some i64.
                let signed = ((value >> 1) as i64) ^ -((value & 1) as i64);
                assert_eq!(zigzag(signed), value);
                assert_eq!(varlong_len(signed), encode(signed).len(), "{bits} bits");
            }
        }
    }

    #[test]
    fn kafka_zigzag_bytes() {
        // From Kafka's ByteUtilsTest: zigzag varint encodings.
        assert_eq!(encode(-1), vec![0x01]);
        assert_eq!(encode(64), vec![0x80, 0x01]);
        assert_eq!(encode(-65), vec![0x81, 0x01]);
    }

    #[test]
    fn fields_take_the_bytes_field_len_says() {
        for field in [None, Some(&b""[..]), Some(&[7u8; 200][..])] {
            let mut buf = [0u8; 256];
            let mut writer = SliceWriter::new(&mut buf);
            writer.field(field);
            assert_eq!(writer.position(), field_len(field));
        }
    }

    #[test]
    fn truncated_and_overlong_varints_are_errors() {
        let mut pos = 0;
        assert!(read_varlong(&[0x80, 0x80], &mut pos).is_err());
        let mut pos = 0;
        assert!(read_varlong(&[0xff; 11], &mut pos).is_err());
        let mut pos = 0;
        assert!(read_varlong(&[], &mut pos).is_err());
    }
}
