//! Kafka's RecordBatch v2: encoding, header parsing, CRC-32C checking and record decoding.
//!
//! The byte layout is documented in the module doc of [`crate::log`].

use bytes::Bytes;

use super::record::ConsumedRecord;
use super::varint::read_varlong;

/// Size of the fixed batch header, from `baseOffset` to `recordsCount` inclusive.
pub const BATCH_HEADER_LEN: usize = 61;
/// Bytes before `batchLength` counts from: `baseOffset` (8) + `batchLength` (4).
pub const LOG_OVERHEAD: usize = 12;
pub const MAGIC_V2: u8 = 2;
/// Where the CRC-covered part of a batch starts (the `attributes` field).
pub const CRC_START: usize = 21;
/// Producer id written by non-transactional, non-idempotent producers.
pub const NO_PRODUCER_ID: i64 = -1;

/// The fixed header of one batch, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: u64,
    /// Bytes after the `batchLength` field; the whole batch is `LOG_OVERHEAD + batch_length`.
    pub batch_length: u32,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: u32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub records_count: u32,
}

impl BatchHeader {
    /// Total bytes of the batch on disk.
    pub fn total_len(&self) -> usize {
        LOG_OVERHEAD + self.batch_length as usize
    }

    pub fn last_offset(&self) -> u64 {
        self.base_offset + u64::from(self.last_offset_delta)
    }

    /// Parses and sanity-checks the header at the start of `buf`; the error says why not.
    pub fn parse(buf: &[u8]) -> Result<BatchHeader, String> {
        if buf.len() < BATCH_HEADER_LEN {
            return Err(format!(
                "batch header needs {BATCH_HEADER_LEN} bytes, only {} present",
                buf.len()
            ));
        }
        let base_offset = i64::from_be_bytes(array(buf, 0));
        let batch_length = i32::from_be_bytes(array(buf, 8));
        let magic = buf[16];
        if magic != MAGIC_V2 {
            return Err(format!("magic byte is {magic}, expected {MAGIC_V2}"));
        }
        if base_offset < 0 {
            return Err(format!("negative base offset {base_offset}"));
        }
        let min_len = (BATCH_HEADER_LEN - LOG_OVERHEAD) as i32;
        if batch_length < min_len {
            return Err(format!(
                "batch length {batch_length} is shorter than a header"
            ));
        }
        let last_offset_delta = i32::from_be_bytes(array(buf, 23));
        let records_count = i32::from_be_bytes(array(buf, 57));
        if last_offset_delta < 0 || records_count < 0 {
            return Err(format!(
                "negative last offset delta {last_offset_delta} or record count {records_count}"
            ));
        }
        Ok(BatchHeader {
            base_offset: base_offset as u64,
            batch_length: batch_length as u32,
            crc: u32::from_be_bytes(array(buf, 17)),
            attributes: i16::from_be_bytes(array(buf, 21)),
            last_offset_delta: last_offset_delta as u32,
            base_timestamp: i64::from_be_bytes(array(buf, 27)),
            max_timestamp: i64::from_be_bytes(array(buf, 35)),
            records_count: records_count as u32,
        })
    }
}

fn array<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&buf[at..at + N]);
    out
}

/// Checks the CRC-32C of a whole batch (`batch` is exactly `header.total_len()` bytes).
pub fn crc_matches(batch: &[u8], header: &BatchHeader) -> bool {
    batch.len() >= BATCH_HEADER_LEN && crc32c::crc32c(&batch[CRC_START..]) == header.crc
}

/// Summary of an encoded batch, for indexes and offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    pub base_offset: u64,
    pub last_offset: u64,
    pub max_timestamp: i64,
    pub len: usize,
    pub records_count: u32,
}

/// A bounds-checked cursor over one batch's record bytes.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn varlong(&mut self) -> Result<i64, String> {
        read_varlong(self.buf, &mut self.pos)
    }

    #[inline(always)]
    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| "record ends early".to_string())?;
        self.pos += 1;
        Ok(byte)
    }

    /// A length-prefixed field: its range in the buffer, or `None` for length -1.
    #[inline(always)]
    fn field(&mut self) -> Result<Option<(usize, usize)>, String> {
        let len = self.varlong()?;
        if len == -1 {
            return Ok(None);
        }
        if len < 0 {
            return Err(format!("negative field length {len}"));
        }
        let start = self.pos;
        let end = start
            .checked_add(len as usize)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| format!("field of {len} bytes runs past the batch"))?;
        self.pos = end;
        Ok(Some((start, end)))
    }
}

/// Decodes the records of one CRC-checked batch (`batch` holds exactly the batch),
/// pushing those with offset >= `from_offset`, at most `max_records` of them.
/// Returns the number pushed and the bytes of key+value they carry.
pub fn decode_records(
    batch: &Bytes,
    header: &BatchHeader,
    from_offset: u64,
    max_records: usize,
    out: &mut Vec<ConsumedRecord>,
) -> Result<(usize, usize), String> {
    let mut cursor = Cursor {
        buf: &batch[..],
        pos: BATCH_HEADER_LEN,
    };
    let mut pushed = 0;
    let mut payload = 0;
    out.reserve(max_records.min(header.records_count as usize));
    for _ in 0..header.records_count {
        if pushed >= max_records {
            break;
        }
        let len = cursor.varlong()?;
        let record_end = usize::try_from(len)
            .ok()
            .and_then(|len| cursor.pos.checked_add(len))
            .filter(|end| *end <= batch.len())
            .ok_or_else(|| format!("record length {len} runs past the batch"))?;
        let _attributes = cursor.byte()?;
        let ts_delta = cursor.varlong()?;
        let offset_delta = cursor.varlong()?;
        if offset_delta < 0 || offset_delta > i64::from(header.last_offset_delta) {
            return Err(format!(
                "record offset delta {offset_delta} outside the batch's 0..={}",
                header.last_offset_delta
            ));
        }
        let offset = header.base_offset + offset_delta as u64;
        if offset < from_offset {
            cursor.pos = record_end;
            continue;
        }
        let key = cursor.field()?.map(|(s, e)| batch.slice(s..e));
        let value = cursor.field()?.map(|(s, e)| batch.slice(s..e));
        let header_count = cursor.varlong()?;
        if header_count < 0 || header_count as usize > len as usize {
            return Err(format!("bad header count {header_count}"));
        }
        let mut headers = if header_count == 0 {
            Vec::new()
        } else {
            Vec::with_capacity(header_count as usize)
        };
        for _ in 0..header_count {
            let name = cursor
                .field()?
                .ok_or_else(|| "null header key".to_string())?;
            let name = String::from_utf8_lossy(&batch[name.0..name.1]).into_owned();
            let header_value = cursor.field()?.map(|(s, e)| batch.slice(s..e));
            headers.push((name, header_value));
        }
        if cursor.pos != record_end {
            return Err(format!(
                "record at offset {offset} has {} bytes, its length says {len}",
                cursor.pos as i64 - (record_end as i64 - len)
            ));
        }
        payload += key.as_ref().map_or(0, Bytes::len) + value.as_ref().map_or(0, Bytes::len);
        out.push(ConsumedRecord {
            offset,
            timestamp: header.base_timestamp.wrapping_add(ts_delta),
            key,
            value,
            headers,
        });
        pushed += 1;
    }
    Ok((pushed, payload))
}

#[cfg(test)]
mod tests {
    use super::super::builder::BatchBuilder;
    use super::*;

    #[test]
    fn batch_round_trips() {
        let mut out = Vec::new();
        let mut builder = BatchBuilder::new(&mut out, 42);
        let headers = vec![("h".to_string(), Some(Bytes::from_static(b"v")))];
        builder.push(0, 1000, Some(b"k1"), Some(b"v1"), &[]);
        builder.push(1, 990, None, None, &headers);
        let info = builder.finish(1, 0);
        assert_eq!(info.len, out.len());
        let header = BatchHeader::parse(&out).expect("header parses");
        assert_eq!(header.base_offset, 42);
        assert_eq!(header.total_len(), out.len());
        assert_eq!(header.max_timestamp, 1000);
        assert!(crc_matches(&out, &header));
        let bytes = Bytes::from(out);
        let mut records = Vec::new();
        decode_records(&bytes, &header, 0, usize::MAX, &mut records).expect("decodes");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].offset, 42);
        assert_eq!(records[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(records[1].offset, 43);
        assert_eq!(records[1].timestamp, 990);
        assert_eq!(records[1].value, None);
        assert_eq!(records[1].headers, headers);
        records.clear();
        decode_records(&bytes, &header, 43, usize::MAX, &mut records).expect("decodes");
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn crc_detects_a_flipped_byte() {
        let mut out = Vec::new();
        let mut builder = BatchBuilder::new(&mut out, 0);
        builder.push(0, 5, Some(b"key"), Some(b"value"), &[]);
        builder.finish(0, 0);
        let header = BatchHeader::parse(&out).expect("header parses");
        for position in CRC_START..out.len() {
            let mut garbled = out.clone();
            garbled[position] ^= 0x40;
            assert!(
                !crc_matches(&garbled, &header),
                "flip at {position} undetected"
            );
        }
    }
}
