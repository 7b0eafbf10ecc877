//! Conversions between `ScalarValue`s and the plain Rust values functions compute with.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ListArray, MapArray, StructArray, new_empty_array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DFResult};

/// The value as a double, for any numeric scalar; `None` when null or not numeric.
pub(crate) fn as_f64(value: &ScalarValue) -> Option<f64> {
    match value {
        ScalarValue::Int8(v) => v.map(f64::from),
        ScalarValue::Int16(v) => v.map(f64::from),
        ScalarValue::Int32(v) => v.map(f64::from),
        ScalarValue::Int64(v) => v.map(|v| v as f64),
        ScalarValue::UInt8(v) => v.map(f64::from),
        ScalarValue::UInt16(v) => v.map(f64::from),
        ScalarValue::UInt32(v) => v.map(f64::from),
        ScalarValue::UInt64(v) => v.map(|v| v as f64),
        ScalarValue::Float32(v) => v.map(f64::from),
        ScalarValue::Float64(v) => *v,
        ScalarValue::Decimal128(v, _, scale) => v.map(|v| decimal_to_f64(v, *scale)),
        _ => None,
    }
}

/// A decimal mantissa at `scale` as a double (via its text, which rounds correctly).
pub(crate) fn decimal_to_f64(mantissa: i128, scale: i8) -> f64 {
    format!("{mantissa}e{}", -i32::from(scale))
        .parse()
        .unwrap_or(f64::NAN)
}

/// The value as a 64-bit integer, for integral scalars; `None` when null or not integral.
pub(crate) fn as_i64(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::Int8(v) => v.map(i64::from),
        ScalarValue::Int16(v) => v.map(i64::from),
        ScalarValue::Int32(v) => v.map(i64::from),
        ScalarValue::Int64(v) => *v,
        ScalarValue::UInt8(v) => v.map(i64::from),
        ScalarValue::UInt16(v) => v.map(i64::from),
        ScalarValue::UInt32(v) => v.map(i64::from),
        ScalarValue::UInt64(v) => v.and_then(|v| i64::try_from(v).ok()),
        ScalarValue::TimestampMillisecond(v, _) => *v,
        ScalarValue::Date32(v) => v.map(i64::from),
        ScalarValue::Time32Millisecond(v) => v.map(i64::from),
        _ => None,
    }
}

/// The value as text; `None` when null or not a string.
pub(crate) fn as_str(value: &ScalarValue) -> Option<&str> {
    match value {
        ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => v.as_deref(),
        _ => None,
    }
}

/// The value as bytes; `None` when null or not binary.
pub(crate) fn as_bytes(value: &ScalarValue) -> Option<&[u8]> {
    match value {
        ScalarValue::Binary(v) | ScalarValue::LargeBinary(v) | ScalarValue::BinaryView(v) => {
            v.as_deref()
        }
        _ => None,
    }
}

pub(crate) fn as_bool(value: &ScalarValue) -> Option<bool> {
    match value {
        ScalarValue::Boolean(v) => *v,
        _ => None,
    }
}

/// The elements of a non-null list scalar.
pub(crate) fn list_elements(value: &ScalarValue) -> DFResult<Option<Vec<ScalarValue>>> {
    let values = match value {
        ScalarValue::List(list) if !list.is_empty() && list.is_valid(0) => list.value(0),
        ScalarValue::LargeList(list) if !list.is_empty() && list.is_valid(0) => list.value(0),
        ScalarValue::FixedSizeList(list) if !list.is_empty() && list.is_valid(0) => list.value(0),
        _ => return Ok(None),
    };
    (0..values.len())
        .map(|i| ScalarValue::try_from_array(&values, i))
        .collect::<DFResult<Vec<_>>>()
        .map(Some)
}

/// The element type of a list data type.
pub(crate) fn list_item_type(data_type: &DataType) -> Option<&DataType> {
    match data_type {
        DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _) => {
            Some(field.data_type())
        }
        _ => None,
    }
}

/// The entries of a non-null map scalar, in stored order.
pub(crate) fn map_entries(
    value: &ScalarValue,
) -> DFResult<Option<Vec<(ScalarValue, ScalarValue)>>> {
    let ScalarValue::Map(map) = value else {
        return Ok(None);
    };
    if map.is_empty() || map.is_null(0) {
        return Ok(None);
    }
    let entries = map.value(0);
    let keys = entries.column(0);
    let values = entries.column(1);
    (0..entries.len())
        .map(|i| {
            Ok((
                ScalarValue::try_from_array(keys, i)?,
                ScalarValue::try_from_array(values, i)?,
            ))
        })
        .collect::<DFResult<Vec<_>>>()
        .map(Some)
}

/// The key and value types of a map data type.
pub(crate) fn map_types(data_type: &DataType) -> Option<(&DataType, &DataType)> {
    match data_type {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => {
                Some((fields[0].data_type(), fields[1].data_type()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// A typed null (`ScalarValue::Null` carries no type and cannot build typed arrays).
pub(crate) fn typed_null(data_type: &DataType) -> DFResult<ScalarValue> {
    ScalarValue::try_from(data_type)
}

/// Scalars of one type as an array of `data_type`, casting where the scalars differ.
pub(crate) fn scalars_to_array(
    values: Vec<ScalarValue>,
    data_type: &DataType,
) -> DFResult<ArrayRef> {
    if values.is_empty() {
        return Ok(new_empty_array(data_type));
    }
    let values = values
        .into_iter()
        .map(|v| match v {
            ScalarValue::Null => typed_null(data_type),
            other if other.is_null() && &other.data_type() != data_type => typed_null(data_type),
            other => Ok(other),
        })
        .collect::<DFResult<Vec<_>>>()?;
    let array = ScalarValue::iter_to_array(values)?;
    if array.data_type() == data_type {
        Ok(array)
    } else {
        Ok(cast(&array, data_type)?)
    }
}

/// A one-row list scalar holding `values` as `ARRAY<item_type>`.
pub(crate) fn list_scalar(values: Vec<ScalarValue>, item_type: &DataType) -> DFResult<ScalarValue> {
    let len = values.len();
    let items = scalars_to_array(values, item_type)?;
    let field = Arc::new(Field::new("item", item_type.clone(), true));
    let list = ListArray::try_new(field, OffsetBuffer::from_lengths([len]), items, None)?;
    Ok(ScalarValue::List(Arc::new(list)))
}

/// A one-row map scalar holding `entries` as `MAP<key_type, value_type>`.
pub(crate) fn map_scalar(
    entries: Vec<(ScalarValue, ScalarValue)>,
    key_type: &DataType,
    value_type: &DataType,
) -> DFResult<ScalarValue> {
    let len = entries.len();
    let (keys, values): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
    let keys = scalars_to_array(keys, key_type)?;
    if keys.null_count() > 0 {
        return Err(DataFusionError::Execution(
            "a map key must not be null".to_string(),
        ));
    }
    let values = scalars_to_array(values, value_type)?;
    let fields = Fields::from(vec![
        Field::new("key", key_type.clone(), false),
        Field::new("value", value_type.clone(), true),
    ]);
    let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
    let entries_field = Arc::new(Field::new("entries", DataType::Struct(fields), false));
    let map = MapArray::try_new(
        entries_field,
        OffsetBuffer::from_lengths([len]),
        entries,
        None,
        false,
    )?;
    Ok(ScalarValue::Map(Arc::new(map)))
}
