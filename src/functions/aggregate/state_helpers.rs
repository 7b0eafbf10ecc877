//! What many aggregate states share: offering the value argument of a row, refusing
//! retraction, and persisting a state that is just a list of values.

use datafusion::common::ScalarValue;

use super::AggregateSpec;
use super::codec::{StateReader, StateWriter};
use crate::functions::error::{FunctionError, Result};

/// Hands the row's value argument (the first) to `offer`, if the row has one.
pub(super) fn offer_value(args: &[ScalarValue], offer: impl FnOnce(&ScalarValue)) -> Result<()> {
    if let Some(value) = args.first() {
        offer(value);
    }
    Ok(())
}

/// The answer of a state that cannot take a row back (so cannot aggregate a TABLE).
pub(super) fn retract_unsupported(name: &str) -> Result<()> {
    Err(FunctionError::RetractUnsupported {
        name: name.to_string(),
    })
}

/// A state that is a list of values, as bytes; [`values_from_bytes`] reads it back.
pub(super) fn values_to_bytes(name: &str, values: &[ScalarValue]) -> Result<Vec<u8>> {
    let mut writer = StateWriter::new();
    writer
        .values(values)
        .map_err(|e| FunctionError::evaluation(name, e))?;
    Ok(writer.finish())
}

/// The list of values [`values_to_bytes`] wrote; corrupt bytes are an error naming
/// the aggregate.
pub(super) fn values_from_bytes(spec: &AggregateSpec, bytes: &[u8]) -> Result<Vec<ScalarValue>> {
    let mut reader = StateReader::new(bytes).map_err(|e| spec.corrupt(e))?;
    let values = reader.values().map_err(|e| spec.corrupt(e))?;
    reader.finish().map_err(|e| spec.corrupt(e))?;
    Ok(values)
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::DataType;

    use super::*;
    use crate::sql::SqlType;

    #[test]
    fn a_value_list_round_trips_and_refuses_to_retract() {
        let spec = AggregateSpec {
            name: "TOPK",
            arg_types: vec![SqlType::Int],
            params: vec![ScalarValue::Int32(Some(2))],
            return_type: SqlType::Array(Box::new(SqlType::Int)),
            arrow_return_type: DataType::Null,
            arrow_arg_types: vec![DataType::Int32],
        };
        let values = vec![ScalarValue::Int32(Some(3)), ScalarValue::Int32(None)];
        let bytes = values_to_bytes("TOPK", &values).expect("encode");
        assert_eq!(values_from_bytes(&spec, &bytes).expect("decode"), values);
        assert!(values_from_bytes(&spec, &bytes[..bytes.len() - 1]).is_err());
        assert!(retract_unsupported("TOPK").is_err());
        let mut offered = None;
        offer_value(&values, |v| offered = Some(v.clone())).expect("offer");
        assert_eq!(offered, Some(ScalarValue::Int32(Some(3))));
    }
}
