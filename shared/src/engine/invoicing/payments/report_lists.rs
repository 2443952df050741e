//! The lists the payment and credit passes report (customers, deals, invoices to re-mirror):
//! distinct values, in the order first seen.

/// Adds each of `values` to `list` unless it is there already.
pub fn add_once(list: &mut Vec<String>, values: impl IntoIterator<Item = String>) {
    for value in values {
        if !list.contains(&value) {
            list.push(value);
        }
    }
}
