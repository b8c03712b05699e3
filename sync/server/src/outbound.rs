//! Personal data leaves the server only for the roles that may read it. Every response that
//! carries replicated rows (a pull's ops and the refusal notices in them, a push's refusals
//! and their winning rows) passes through [`for_reader`] on its way out; the storage returns
//! rows whole and never decides who reads them.

use galaxium_sync::protocol::{OpResult, PullResponse};
use galaxium_sync::schema::registry::{self, PERSONAL_DATA_READERS, Role};
use serde_json::{Map, Value};

use crate::auth::Principal;

/// A push's verdict on one op, with the table of the row it answers about: the table the
/// storage kept with a refusal, not what a request names (an op sent again under another
/// table must not pick which columns are blanked).
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// The table of the row in the verdict, when known (refusals kept before tables were kept
    /// with them have none, and are blanked as if the row could be of any table).
    pub table: Option<String>,
    /// The verdict.
    pub result: OpResult,
}

/// A response body that may carry rows of replicated tables.
pub trait CarriesRows {
    /// Blanks every personal column of every row it carries.
    fn blank_personal_columns(&mut self);
}

/// `body` as `reader` may read it: with personal columns blanked unless their role may read
/// them. The one place the server decides this.
pub fn for_reader<T: CarriesRows>(reader: &Principal, mut body: T) -> T {
    if !may_read_personal_data(reader.role) {
        body.blank_personal_columns();
    }
    body
}

/// Whether `role` reads passengers' papers and contacts.
pub fn may_read_personal_data(role: Role) -> bool {
    PERSONAL_DATA_READERS.contains(&role)
}

impl CarriesRows for PullResponse {
    fn blank_personal_columns(&mut self) {
        for server_op in &mut self.ops {
            blank(Some(&server_op.op.table), &mut server_op.op.payload);
            if let Some(notice) = &mut server_op.notice {
                blank(Some(&server_op.op.table), &mut notice.attempted);
            }
        }
    }
}

impl CarriesRows for Vec<Settled> {
    fn blank_personal_columns(&mut self) {
        for settled in self {
            if let OpResult::Rejected {
                winner: Some(winner),
                ..
            } = &mut settled.result
            {
                blank(settled.table.as_deref(), winner);
            }
        }
    }
}

/// Blanks the personal columns of a row of `table`, or of any table when it is not known.
fn blank(table: Option<&str>, row: &mut Map<String, Value>) {
    let tables: Vec<_> = match table {
        Some(name) => registry::table(name).into_iter().collect(),
        None => registry::TABLES.iter().collect(),
    };
    for spec in tables {
        for column in spec.personal_columns {
            if let Some(value) = row.get_mut(*column) {
                *value = Value::Null;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use galaxium_sync::protocol::{Op, OpKind, RefusalNotice, ServerOp};
    use serde_json::json;

    fn passenger() -> Map<String, Value> {
        json!({"full_name": "Ada Quill", "document_number": "P1234567", "email": "ada@example.org"})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn refusal(table: Option<&str>) -> Vec<Settled> {
        vec![Settled {
            table: table.map(str::to_owned),
            result: OpResult::Rejected {
                op_id: "op-1".into(),
                reason: "refused".into(),
                winner: Some(passenger()),
                rule: None,
            },
        }]
    }

    fn winner(settled: &[Settled]) -> Map<String, Value> {
        match &settled[0].result {
            OpResult::Rejected {
                winner: Some(winner),
                ..
            } => winner.clone(),
            other => panic!("not a refusal with a winner: {other:?}"),
        }
    }

    #[test]
    fn refusals_lose_personal_columns_for_roles_that_may_not_read_them() {
        for role in [Role::Controller, Role::Trainer, Role::Trainee] {
            let reader = Principal::of("someone", role);
            for table in [Some("passengers"), None] {
                let out = winner(&for_reader(&reader, refusal(table)));
                assert_eq!(out["document_number"], Value::Null, "{role:?} {table:?}");
                assert_eq!(out["email"], Value::Null, "{role:?} {table:?}");
                assert_eq!(out["full_name"], json!("Ada Quill"), "names stay: {role:?}");
            }
        }
        for role in [Role::Admin, Role::Staff] {
            let reader = Principal::of("someone", role);
            let out = winner(&for_reader(&reader, refusal(Some("passengers"))));
            assert_eq!(out["document_number"], json!("P1234567"), "{role:?}");
        }
    }

    #[test]
    fn pulled_ops_and_their_notices_lose_personal_columns() {
        let op = Op {
            op_id: "op-1".into(),
            device_id: "console-a".into(),
            seq: 1,
            hlc: "0".into(),
            table: "passengers".into(),
            row_id: "p-1".into(),
            kind: OpKind::Update,
            payload: passenger(),
        };
        let page = PullResponse {
            ops: vec![ServerOp {
                cursor: 1,
                op,
                notice: Some(RefusalNotice {
                    device_id: "console-a".into(),
                    op_id: "op-0".into(),
                    kind: OpKind::Update,
                    reason: "refused".into(),
                    rule: None,
                    attempted: passenger(),
                }),
                by: Some("sam".into()),
            }],
            next_cursor: 1,
            more: false,
            epoch: None,
        };
        let reader = Principal::of("someone", Role::Controller);
        let out = for_reader(&reader, page);
        let server_op = &out.ops[0];
        assert_eq!(server_op.op.payload["document_number"], Value::Null);
        let notice = server_op.notice.as_ref().map(|n| n.attempted.clone());
        assert_eq!(notice.unwrap_or_default()["email"], Value::Null);
    }
}
