//! Kafka's RecordBatch v2: encoding, header parsing, CRC-32C checking and record decoding.
//!
//! The byte layout is documented in the module doc of [`crate::log`].

use bytes::Bytes;

use super::record::ConsumedRecord;

/// Size of the fixed batch header, from `baseOffset` to `recordsCount` inclusive.
pub const BATCH_HEADER_LEN: usize = 61;
/// Bytes before `batchLength` counts from: `baseOffset` (8) + `batchLength` (4).
pub const LOG_OVERHEAD: usize = 12;
pub const MAGIC_V2: u8 = 2;
/// Where the CRC-covered part of a batch starts (the `attributes` field).
const CRC_START: usize = 21;
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

/// Writes one batch into `out`, record by record; [`BatchBuilder::finish`] fills the header.
pub struct BatchBuilder<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    base_offset: u64,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
    count: u32,
}

impl<'a> BatchBuilder<'a> {
    pub fn new(out: &'a mut Vec<u8>, base_offset: u64) -> Self {
        let start = out.len();
        out.resize(start + BATCH_HEADER_LEN, 0);
        BatchBuilder {
            out,
            start,
            base_offset,
            base_timestamp: None,
            max_timestamp: -1,
            count: 0,
        }
    }

    /// Appends one record at `offset_delta` from the base offset.
    pub fn push(
        &mut self,
        offset_delta: u32,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Option<Bytes>)],
    ) {
        let base_ts = *self.base_timestamp.get_or_insert(timestamp);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        let ts_delta = timestamp.wrapping_sub(base_ts);
        let mut body_len = 1
            + varlong_len(ts_delta)
            + varlong_len(i64::from(offset_delta))
            + bytes_field_len(key)
            + bytes_field_len(value)
            + varlong_len(headers.len() as i64);
        for (name, header_value) in headers {
            body_len +=
                bytes_field_len(Some(name.as_bytes())) + bytes_field_len(header_value.as_deref());
        }
        let out = &mut *self.out;
        out.reserve(body_len + 5);
        put_varlong(out, body_len as i64);
        out.push(0); // record attributes: unused in v2
        put_varlong(out, ts_delta);
        put_varlong(out, i64::from(offset_delta));
        put_bytes_field(out, key);
        put_bytes_field(out, value);
        put_varlong(out, headers.len() as i64);
        for (name, header_value) in headers {
            put_bytes_field(out, Some(name.as_bytes()));
            put_bytes_field(out, header_value.as_deref());
        }
        self.count += 1;
    }

    /// Fills the header; `last_offset_delta` may exceed the last record's delta when
    /// compaction removed records at the end of the batch (the batch keeps its range).
    pub fn finish(self, last_offset_delta: u32, attributes: i16) -> BatchInfo {
        let start = self.start;
        let len = self.out.len() - start;
        let base_ts = self.base_timestamp.unwrap_or(-1);
        let header = &mut self.out[start..start + BATCH_HEADER_LEN];
        header[0..8].copy_from_slice(&(self.base_offset as i64).to_be_bytes());
        header[8..12].copy_from_slice(&((len - LOG_OVERHEAD) as i32).to_be_bytes());
        header[12..16].copy_from_slice(&0i32.to_be_bytes()); // partitionLeaderEpoch
        header[16] = MAGIC_V2;
        header[21..23].copy_from_slice(&attributes.to_be_bytes());
        header[23..27].copy_from_slice(&(last_offset_delta as i32).to_be_bytes());
        header[27..35].copy_from_slice(&base_ts.to_be_bytes());
        header[35..43].copy_from_slice(&self.max_timestamp.to_be_bytes());
        header[43..51].copy_from_slice(&NO_PRODUCER_ID.to_be_bytes());
        header[51..53].copy_from_slice(&(-1i16).to_be_bytes());
        header[53..57].copy_from_slice(&(-1i32).to_be_bytes());
        header[57..61].copy_from_slice(&(self.count as i32).to_be_bytes());
        let crc = crc32c::crc32c(&self.out[start + CRC_START..]);
        self.out[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
        BatchInfo {
            base_offset: self.base_offset,
            last_offset: self.base_offset + u64::from(last_offset_delta),
            max_timestamp: self.max_timestamp,
            len,
            records_count: self.count,
        }
    }
}

fn bytes_field_len(field: Option<&[u8]>) -> usize {
    match field {
        None => 1,
        Some(bytes) => varlong_len(bytes.len() as i64) + bytes.len(),
    }
}

fn put_bytes_field(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => put_varlong(out, -1),
        Some(bytes) => {
            put_varlong(out, bytes.len() as i64);
            out.extend_from_slice(bytes);
        }
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn varlong_len(value: i64) -> usize {
    let bits = 64 - (zigzag(value) | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

fn put_varlong(out: &mut Vec<u8>, value: i64) {
    let mut v = zigzag(value);
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A bounds-checked cursor over one batch's record bytes.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn varlong(&mut self) -> Result<i64, String> {
        let mut result: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| "record ends inside a varint".to_string())?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return Err("varint longer than 64 bits".into());
            }
            result |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(((result >> 1) as i64) ^ -((result & 1) as i64));
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| "record ends early".to_string())?;
        self.pos += 1;
        Ok(byte)
    }

    /// A length-prefixed field: its range in the buffer, or `None` for length -1.
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
    for _ in 0..header.records_count {
        if pushed >= max_records {
            break;
        }
        let len = cursor.varlong()?;
        if len < 0 || cursor.pos + len as usize > batch.len() {
            return Err(format!("record length {len} runs past the batch"));
        }
        let record_end = cursor.pos + len as usize;
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
        let mut headers = Vec::with_capacity(header_count as usize);
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
    use super::*;

    #[test]
    fn varlong_round_trips_and_sizes() {
        for value in [
            0i64,
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
        ] {
            let mut out = Vec::new();
            put_varlong(&mut out, value);
            assert_eq!(out.len(), varlong_len(value), "size of {value}");
            let mut cursor = Cursor { buf: &out, pos: 0 };
            assert_eq!(cursor.varlong(), Ok(value));
        }
    }

    #[test]
    fn kafka_zigzag_bytes() {
        // From Kafka's ByteUtilsTest: zigzag varint encodings.
        let mut out = Vec::new();
        put_varlong(&mut out, -1);
        assert_eq!(out, vec![0x01]);
        out.clear();
        put_varlong(&mut out, 64);
        assert_eq!(out, vec![0x80, 0x01]);
    }

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
