//! The invoicing ports over `QboClient`: each method is the one QBO call the flows made
//! directly before, so the request sequence is unchanged.

use async_trait::async_trait;

use crate::ports::invoicing::{QboCatalog, QboCompanySetup, QboInvoices, QboPayments};
use crate::quickbooks::entities::{Account, Customer, Invoice, Item, Payment, Preferences};
use crate::quickbooks::{QboClient, QboError, Query, RequestId};

type Result<T> = std::result::Result<T, QboError>;

#[async_trait]
impl QboInvoices for QboClient {
    async fn read_invoice(&self, id: &str) -> Result<Invoice> {
        self.read::<Invoice>(id).await
    }

    async fn create_invoice(&self, invoice: &Invoice, request_id: &RequestId) -> Result<Invoice> {
        self.create(invoice, request_id).await
    }

    async fn send_invoice(&self, id: &str, send_to: Option<&str>) -> Result<Invoice> {
        QboClient::send_invoice(self, id, send_to).await
    }
}

#[async_trait]
impl QboPayments for QboClient {
    async fn read_payment(&self, id: &str) -> Result<Payment> {
        self.read::<Payment>(id).await
    }
}

#[async_trait]
impl QboCompanySetup for QboClient {
    async fn preferences(&self) -> Result<Preferences> {
        QboClient::preferences(self).await
    }

    async fn income_accounts(&self) -> Result<Vec<Account>> {
        self.query_all::<Account>(Query::select("Account").eq("AccountType", "Income"))
            .await
    }
}

#[async_trait]
impl QboCatalog for QboClient {
    async fn create_customer(
        &self,
        customer: &Customer,
        request_id: &RequestId,
    ) -> Result<Customer> {
        self.create(customer, request_id).await
    }

    async fn create_item(&self, item: &Item, request_id: &RequestId) -> Result<Item> {
        self.create(item, request_id).await
    }
}
