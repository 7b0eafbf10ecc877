//! Encodes records into Kafka RecordBatch v2 batches (the layout is in [`crate::log`]).
//!
//! This is the append path's hot loop: a batch's space is made ready once and each
//! record is written straight into it, its length prefix sized from bounds on its body.

use bytes::Bytes;

use super::batch::{
    BATCH_HEADER_LEN, BatchInfo, CRC_START, LOG_OVERHEAD, MAGIC_V2, NO_PRODUCER_ID,
};
use super::record::AppendRecord;
#[cfg(test)]
use super::record::Record;
use super::varint::{MAX_VARLONG_LEN, SliceWriter, field_len, varlong_len};

/// Fewest bytes a record without headers takes besides its key and value: attributes,
/// and one byte each for timestamp delta, offset delta, key length, value length and
/// header count.
const MIN_FRAMING: usize = 6;
/// Most bytes the same fields can take.
const MAX_FRAMING: usize = 2 + 4 * MAX_VARLONG_LEN;

/// Writes one batch into `out`, record by record; [`BatchBuilder::finish`] fills the header.
pub struct BatchBuilder<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    /// Where the next record goes. Bytes of `out` from here on are scratch, left from
    /// an earlier batch: overwriting them saves zeroing a fresh buffer per batch.
    end: usize,
    /// Whether `finish` leaves the scratch bytes after the batch in `out`.
    keep_scratch: bool,
    base_offset: u64,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
    count: u32,
}

impl<'a> BatchBuilder<'a> {
    /// A batch appended after the bytes already in `out`.
    pub fn new(out: &'a mut Vec<u8>, base_offset: u64) -> Self {
        let start = out.len();
        Self::at(out, start, base_offset)
    }

    /// A batch written over `out` from its start, reusing its bytes as scratch space:
    /// the batch is `out[..info.len]` and the bytes after it are left as they are, so
    /// that the next batch need not zero them again.
    pub fn overwrite(out: &'a mut Vec<u8>, base_offset: u64) -> Self {
        let mut builder = Self::at(out, 0, base_offset);
        builder.keep_scratch = true;
        builder
    }

    fn at(out: &'a mut Vec<u8>, start: usize, base_offset: u64) -> Self {
        let end = start + BATCH_HEADER_LEN;
        let mut builder = BatchBuilder {
            out,
            start,
            end,
            keep_scratch: false,
            base_offset,
            base_timestamp: None,
            max_timestamp: -1,
            count: 0,
        };
        builder.make_room(end);
        builder
    }

    /// Grows `out` to at least `len` bytes.
    fn make_room(&mut self, len: usize) {
        if self.out.len() < len {
            grow(self.out, len);
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
        let limit = self.end + max_encoded_len(key, value, headers);
        self.make_room(limit);
        let base_ts = *self.base_timestamp.get_or_insert(timestamp);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        let ts_delta = timestamp.wrapping_sub(base_ts);
        let fields = RecordFields {
            offset_delta,
            ts_delta,
            key,
            value,
            headers,
        };
        self.end = write_record(&mut self.out[..limit], self.end, &fields);
        self.count += 1;
    }

    /// Appends `records` at the offset deltas that follow the records pushed so far; a
    /// record without a timestamp gets `default_timestamp`. The caller keeps a batch
    /// below 2^31 records.
    pub fn push_all<R: AppendRecord>(&mut self, records: &[R], default_timestamp: i64) {
        // Room for a typical batch in one step; a record that may not fit grows it.
        let mut limit = self.end + records.len() * (MAX_VARLONG_LEN + MAX_FRAMING + 128);
        self.make_room(limit);
        // The loop keeps the builder's state in locals: it runs once per record.
        let mut buf = &mut self.out[..limit];
        let mut end = self.end;
        let mut base_timestamp = self.base_timestamp;
        let mut max_timestamp = self.max_timestamp;
        let mut offset_delta = self.count;
        for record in records {
            let room = max_encoded_len(record.key(), record.value(), record.headers());
            if end + room > limit {
                limit = (end + room).max(2 * limit);
                if self.out.len() < limit {
                    grow(self.out, limit);
                }
                buf = &mut self.out[..limit];
            }
            let timestamp = record.timestamp().unwrap_or(default_timestamp);
            let base_ts = *base_timestamp.get_or_insert(timestamp);
            max_timestamp = max_timestamp.max(timestamp);
            let fields = RecordFields {
                offset_delta,
                ts_delta: timestamp.wrapping_sub(base_ts),
                key: record.key(),
                value: record.value(),
                headers: record.headers(),
            };
            end = write_record(buf, end, &fields);
            offset_delta = offset_delta.wrapping_add(1);
        }
        self.end = end;
        self.base_timestamp = base_timestamp;
        self.max_timestamp = max_timestamp;
        self.count = offset_delta;
    }

    /// Fills the header; `last_offset_delta` may exceed the last record's delta when
    /// compaction removed records at the end of the batch (the batch keeps its range).
    pub fn finish(self, last_offset_delta: u32, attributes: i16) -> BatchInfo {
        let start = self.start;
        if !self.keep_scratch {
            self.out.truncate(self.end);
        }
        let len = self.end - start;
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
        let crc = crc32c::crc32c(&self.out[start + CRC_START..self.end]);
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

/// Grows `out` to at least `len` bytes; doubling keeps the zeroing of new space linear
/// in the batch size.
#[cold]
fn grow(out: &mut Vec<u8>, len: usize) {
    let grown = len.max(2 * out.len());
    out.resize(grown, 0);
}

/// What one record's encoding is made of.
struct RecordFields<'r> {
    offset_delta: u32,
    ts_delta: i64,
    key: Option<&'r [u8]>,
    value: Option<&'r [u8]>,
    headers: &'r [(String, Option<Bytes>)],
}

/// The most bytes a record can take: its length prefix and every field at their longest.
#[inline(always)]
fn max_encoded_len(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(String, Option<Bytes>)],
) -> usize {
    let mut len =
        MAX_VARLONG_LEN + MAX_FRAMING + key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len);
    for (name, header_value) in headers {
        len += 2 * MAX_VARLONG_LEN + name.len() + header_value.as_ref().map_or(0, Bytes::len);
    }
    len
}

/// Writes one record at `at` in `buf` (which has room for [`max_encoded_len`] bytes
/// there) and returns where it ends.
#[inline(always)]
fn write_record(buf: &mut [u8], at: usize, record: &RecordFields) -> usize {
    // The body's exact length is known once it is written; what must be known before
    // is how many bytes its length prefix takes. Bounds on the body settle that for a
    // record without headers of under 8 KiB, which is cheaper than sizing every field.
    let payload = record.key.map_or(0, <[u8]>::len) + record.value.map_or(0, <[u8]>::len);
    let (min_body, max_body) = (payload + MIN_FRAMING, payload + MAX_FRAMING);
    let length_len = match record.headers {
        // Zigzag doubles a non-negative length: below 64 it takes one byte, below 8,192 two.
        [] if max_body < 64 => 1,
        [] if min_body >= 64 && max_body < 8192 => 2,
        _ => varlong_len(exact_body_len(record) as i64),
    };
    let body_start = at + length_len;
    let mut body = SliceWriter::new(&mut buf[body_start..]);
    body.byte(0); // record attributes: unused in v2
    body.varlong(record.ts_delta);
    body.varlong(i64::from(record.offset_delta));
    body.field(record.key);
    body.field(record.value);
    body.varlong(record.headers.len() as i64);
    for (name, header_value) in record.headers {
        body.field(Some(name.as_bytes()));
        body.field(header_value.as_deref());
    }
    let body_len = body.position();
    // Panics (out of bounds) if the prefix is longer than planned: a bug, not bad input.
    SliceWriter::new(&mut buf[at..body_start]).varlong(body_len as i64);
    body_start + body_len
}

/// Bytes of a record after its length prefix.
fn exact_body_len(record: &RecordFields) -> usize {
    let mut body_len = 1
        + varlong_len(record.ts_delta)
        + varlong_len(i64::from(record.offset_delta))
        + field_len(record.key)
        + field_len(record.value)
        + varlong_len(record.headers.len() as i64);
    for (name, header_value) in record.headers {
        body_len += field_len(Some(name.as_bytes())) + field_len(header_value.as_deref());
    }
    body_len
}

#[cfg(test)]
mod tests {
    use super::super::batch::{BatchHeader, crc_matches, decode_records};
    use super::*;

    fn record(key_len: Option<usize>, value_len: Option<usize>, ts: Option<i64>) -> Record {
        Record {
            key: key_len.map(|n| Bytes::from(vec![b'k'; n])),
            value: value_len.map(|n| Bytes::from(vec![b'v'; n])),
            timestamp: ts,
            headers: Vec::new(),
        }
    }

    /// Records whose bodies sit on both sides of the one- and two-byte length prefixes.
    fn boundary_records() -> Vec<Record> {
        let mut records = Vec::new();
        for payload in [
            0, 1, 50, 57, 58, 63, 64, 100, 8150, 8185, 8186, 8191, 8192, 20_000,
        ] {
            records.push(record(None, Some(payload), None));
            records.push(record(Some(1), Some(payload.saturating_sub(1)), Some(-5)));
        }
        let mut with_headers = record(Some(3), None, Some(1 << 40));
        with_headers.headers = vec![
            ("h".to_string(), Some(Bytes::from_static(b"x"))),
            ("n".to_string(), None),
        ];
        records.push(with_headers);
        records
    }

    #[test]
    fn a_reused_buffer_grows_only_to_what_its_largest_batch_needs() {
        // Records larger than the first sizing guess, batch after batch.
        let records: Vec<Record> = (0..10).map(|_| record(Some(8), Some(1000), None)).collect();
        let mut reused = Vec::new();
        for batch in 0..12 {
            let mut builder = BatchBuilder::overwrite(&mut reused, batch * 10);
            builder.push_all(&records, 0);
            builder.finish(9, 0);
        }
        assert!(reused.len() < 64 << 10, "grew to {} bytes", reused.len());
    }

    #[test]
    fn push_all_writes_what_push_writes_and_decodes_back() {
        let records = boundary_records();
        let mut one_by_one = Vec::new();
        let mut builder = BatchBuilder::new(&mut one_by_one, 7);
        for (delta, r) in records.iter().enumerate() {
            builder.push(
                delta as u32,
                r.timestamp.unwrap_or(99),
                r.key.as_deref(),
                r.value.as_deref(),
                &r.headers,
            );
        }
        let expected = builder.finish((records.len() - 1) as u32, 0);

        // Scratch left from a larger earlier batch must not leak into this one, and a
        // buffer too small for the batch grows in the middle of it.
        for mut reused in [vec![0xAB; 200_000], Vec::new()] {
            let mut builder = BatchBuilder::overwrite(&mut reused, 7);
            builder.push_all(&records, 99);
            let info = builder.finish((records.len() - 1) as u32, 0);
            assert_eq!(info, expected);
            assert_eq!(&reused[..info.len], &one_by_one[..]);
        }

        let header = BatchHeader::parse(&one_by_one).expect("header parses");
        assert!(crc_matches(&one_by_one, &header));
        let mut decoded = Vec::new();
        decode_records(
            &Bytes::from(one_by_one),
            &header,
            0,
            usize::MAX,
            &mut decoded,
        )
        .expect("decodes");
        assert_eq!(decoded.len(), records.len());
        for (i, (got, sent)) in decoded.iter().zip(&records).enumerate() {
            assert_eq!(got.offset, 7 + i as u64);
            assert_eq!(got.timestamp, sent.timestamp.unwrap_or(99));
            assert_eq!(got.key, sent.key);
            assert_eq!(got.value, sent.value);
            assert_eq!(got.headers, sent.headers);
        }
    }
}
