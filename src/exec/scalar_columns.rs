//! Columns of scalars as Arrow arrays, through a typed builder for the common types.
//!
//! Every emitted aggregate row carries its group and results as `ScalarValue`s; turning
//! a column of them into an array through DataFusion's general `iter_to_array` costs a
//! type dispatch and a check per value, which a flush of thousands of rows feels.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use datafusion::common::ScalarValue;

/// The array of `values` (all of one type): built directly for BIGINT, INT, DOUBLE,
/// STRING and BOOLEAN, through `ScalarValue::iter_to_array` for the others.
pub fn scalars_to_array(values: Vec<ScalarValue>) -> datafusion::error::Result<ArrayRef> {
    match typed_array(&values) {
        Some(array) => Ok(array),
        None => ScalarValue::iter_to_array(values),
    }
}

/// `None` when the first value's type has no typed builder here, or a later value is
/// of another type (left to `iter_to_array`, which words the error).
fn typed_array(values: &[ScalarValue]) -> Option<ArrayRef> {
    let len = values.len();
    Some(match values.first()? {
        ScalarValue::Int64(_) => {
            let mut builder = Int64Builder::with_capacity(len);
            for value in values {
                let ScalarValue::Int64(v) = value else {
                    return None;
                };
                builder.append_option(*v);
            }
            Arc::new(builder.finish())
        }
        ScalarValue::Int32(_) => {
            let mut builder = Int32Builder::with_capacity(len);
            for value in values {
                let ScalarValue::Int32(v) = value else {
                    return None;
                };
                builder.append_option(*v);
            }
            Arc::new(builder.finish())
        }
        ScalarValue::Float64(_) => {
            let mut builder = Float64Builder::with_capacity(len);
            for value in values {
                let ScalarValue::Float64(v) = value else {
                    return None;
                };
                builder.append_option(*v);
            }
            Arc::new(builder.finish())
        }
        ScalarValue::Boolean(_) => {
            let mut builder = BooleanBuilder::with_capacity(len);
            for value in values {
                let ScalarValue::Boolean(v) = value else {
                    return None;
                };
                builder.append_option(*v);
            }
            Arc::new(builder.finish())
        }
        ScalarValue::Utf8(_) => {
            let mut builder = StringBuilder::with_capacity(len, len * 16);
            for value in values {
                let ScalarValue::Utf8(v) = value else {
                    return None;
                };
                builder.append_option(v.as_deref());
            }
            Arc::new(builder.finish())
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_columns_equal_datafusion_s_arrays_and_mixed_ones_are_left_to_it() {
        let columns = vec![
            vec![ScalarValue::Int64(Some(1)), ScalarValue::Int64(None)],
            vec![ScalarValue::Int32(None), ScalarValue::Int32(Some(-4))],
            vec![ScalarValue::Float64(Some(0.5)), ScalarValue::Float64(None)],
            vec![ScalarValue::Boolean(Some(true)), ScalarValue::Boolean(None)],
            vec![ScalarValue::Utf8(Some("é".into())), ScalarValue::Utf8(None)],
            vec![ScalarValue::Date32(Some(3)), ScalarValue::Date32(None)],
        ];
        for values in columns {
            let expected = ScalarValue::iter_to_array(values.clone()).expect("converts");
            let built = scalars_to_array(values.clone()).expect("converts");
            assert_eq!(&built, &expected, "{values:?}");
        }
        let mixed = vec![ScalarValue::Int64(Some(1)), ScalarValue::Utf8(None)];
        assert!(typed_array(&mixed).is_none());
        assert!(scalars_to_array(mixed).is_err());
        assert!(typed_array(&[]).is_none());
    }
}
