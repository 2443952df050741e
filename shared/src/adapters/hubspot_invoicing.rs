//! The invoicing ports over `HubspotClient`: each method is the one HubSpot call the flows
//! made directly before, so the request sequence is unchanged.

use async_trait::async_trait;

use super::hubspot_gateway::{link_property, object_type};
use crate::hubspot::action_callbacks::{ExecutionState, OutputFields};
use crate::hubspot::associations::AssociatedRecord;
use crate::hubspot::batch::{BatchReadOptions, BatchReadOutcome, BatchWriteOutcome, UpdateInput};
use crate::hubspot::search::{SearchRequest, SearchScan};
use crate::hubspot::{
    CreateInput, GetOptions, HubspotClient, HubspotError, HubspotObject, ObjectType,
    PropertyDefinition, PropertyGroup, PropertyWrites,
};
use crate::model::ObjectKind;
use crate::ports::invoicing::{
    HubspotAssociations, HubspotCrmRecords, HubspotInvoices, HubspotLineItems, HubspotSchema,
    HubspotTimeline, WorkflowCallbacks,
};

type Result<T> = std::result::Result<T, HubspotError>;

#[async_trait]
impl HubspotInvoices for HubspotClient {
    async fn get_invoice(&self, id: &str, options: &GetOptions) -> Result<HubspotObject> {
        self.get_object(ObjectType::Invoices, id, options).await
    }

    async fn read_invoices(
        &self,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome> {
        self.batch_read(ObjectType::Invoices, ids, options).await
    }

    async fn search_invoices(&self, request: &SearchRequest) -> Result<SearchScan> {
        self.search_all(ObjectType::Invoices, request).await
    }

    async fn create_invoice(&self, input: &CreateInput) -> Result<HubspotObject> {
        self.create_object(ObjectType::Invoices, input).await
    }

    async fn update_invoice(&self, id: &str, properties: &PropertyWrites) -> Result<()> {
        self.update_object(ObjectType::Invoices, id, properties, None)
            .await
            .map(drop)
    }

    async fn archive_invoice(&self, id: &str) -> Result<()> {
        self.archive_object(ObjectType::Invoices, id).await
    }

    async fn create_invoices(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.batch_create(ObjectType::Invoices, inputs, None).await
    }

    async fn update_invoices(&self, inputs: &[UpdateInput]) -> BatchWriteOutcome {
        self.batch_update(ObjectType::Invoices, inputs, None).await
    }
}

#[async_trait]
impl HubspotLineItems for HubspotClient {
    async fn read_line_items(
        &self,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome> {
        self.batch_read(ObjectType::LineItems, ids, options).await
    }

    async fn create_line_items(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.batch_create(ObjectType::LineItems, inputs, None).await
    }

    async fn archive_line_items(&self, ids: &[String]) -> Result<usize> {
        self.batch_archive(ObjectType::LineItems, ids).await
    }
}

#[async_trait]
impl HubspotCrmRecords for HubspotClient {
    async fn get_record(
        &self,
        object_type: ObjectType,
        id: &str,
        options: &GetOptions,
    ) -> Result<HubspotObject> {
        self.get_object(object_type, id, options).await
    }

    async fn read_records(
        &self,
        object_type: ObjectType,
        ids: &[String],
        options: &BatchReadOptions,
    ) -> Result<BatchReadOutcome> {
        self.batch_read(object_type, ids, options).await
    }

    async fn update_record(
        &self,
        object_type: ObjectType,
        id: &str,
        properties: &PropertyWrites,
    ) -> Result<()> {
        self.update_object(object_type, id, properties, None)
            .await
            .map(drop)
    }

    async fn update_records(
        &self,
        object_type: ObjectType,
        inputs: &[UpdateInput],
    ) -> BatchWriteOutcome {
        self.batch_update(object_type, inputs, None).await
    }
}

#[async_trait]
impl HubspotAssociations for HubspotClient {
    async fn associated_ids(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> Result<Vec<String>> {
        Ok(self
            .list_associations(from, id, to)
            .await?
            .into_iter()
            .map(|a| a.to_object_id)
            .collect())
    }

    async fn associations_with_labels(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> Result<Vec<AssociatedRecord>> {
        self.list_associations(from, id, to).await
    }

    async fn associated_ids_of_many(
        &self,
        from: ObjectType,
        ids: &[String],
        to: ObjectType,
    ) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
        let mut out = std::collections::BTreeMap::<String, Vec<String>>::new();
        if ids.is_empty() {
            return Ok(out);
        }
        for of in self.batch_read_associations(from, to, ids).await? {
            let targets = out.entry(of.from.id).or_default();
            for record in of.to {
                if !targets.contains(&record.to_object_id) {
                    targets.push(record.to_object_id);
                }
            }
        }
        Ok(out)
    }

    async fn associate_default(
        &self,
        from: ObjectType,
        from_id: &str,
        to: ObjectType,
        to_id: &str,
    ) -> Result<()> {
        HubspotClient::associate_default(self, from, from_id, to, to_id)
            .await
            .map(drop)
    }
}

#[async_trait]
impl HubspotTimeline for HubspotClient {
    async fn create_note(&self, input: &CreateInput) -> Result<HubspotObject> {
        self.create_object(ObjectType::Notes, input).await
    }

    async fn create_notes(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.batch_create(ObjectType::Notes, inputs, None).await
    }

    async fn create_payment_records(&self, inputs: Vec<CreateInput>) -> BatchWriteOutcome {
        self.batch_create(ObjectType::CommercePayments, inputs, None)
            .await
    }

    async fn archive_payment_record(&self, id: &str) -> Result<()> {
        self.archive_object(ObjectType::CommercePayments, id).await
    }
}

#[async_trait]
impl HubspotSchema for HubspotClient {
    async fn ensure_properties(
        &self,
        object_type: ObjectType,
        wanted: &[PropertyDefinition],
    ) -> Result<()> {
        HubspotClient::ensure_properties(self, object_type, wanted)
            .await
            .map(drop)
    }

    async fn ensure_property_group(
        &self,
        object_type: ObjectType,
        group: &PropertyGroup,
    ) -> Result<()> {
        HubspotClient::ensure_property_group(self, object_type, group)
            .await
            .map(drop)
    }

    async fn ensure_link_properties(&self) -> Result<()> {
        for kind in ObjectKind::TWO_WAY {
            if let Some(property) = link_property(kind) {
                HubspotClient::ensure_properties(self, object_type(kind), &[property]).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl WorkflowCallbacks for HubspotClient {
    async fn complete_action_callback(
        &self,
        callback_id: &str,
        state: ExecutionState,
        outputs: &OutputFields,
    ) -> Result<()> {
        HubspotClient::complete_action_callback(self, callback_id, state, outputs).await
    }
}
