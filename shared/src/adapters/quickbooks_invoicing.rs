//! The invoicing ports over `QboClient`: each method is the one QBO call the flows made
//! directly before, so the request sequence is unchanged.

use async_trait::async_trait;

use crate::model::DocKind;
use crate::ports::invoicing::{QboCatalog, QboCompanySetup, QboInvoices, QboPayments};
use crate::quickbooks::entities::{
    Account, CompanyInfo, Customer, Estimate, Invoice, Item, Payment, Preferences, SalesReceipt,
};
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

    async fn create_sales_doc(
        &self,
        kind: DocKind,
        doc: &Invoice,
        request_id: &RequestId,
    ) -> Result<Invoice> {
        match kind {
            DocKind::Invoice => self.create(doc, request_id).await,
            DocKind::Estimate => Ok(self.create(&Estimate(doc.clone()), request_id).await?.0),
            DocKind::SalesReceipt => {
                Ok(self.create(&SalesReceipt(doc.clone()), request_id).await?.0)
            }
        }
    }

    async fn read_sales_doc(&self, kind: DocKind, id: &str) -> Result<Invoice> {
        match kind {
            DocKind::Invoice => self.read::<Invoice>(id).await,
            DocKind::Estimate => Ok(self.read::<Estimate>(id).await?.0),
            DocKind::SalesReceipt => Ok(self.read::<SalesReceipt>(id).await?.0),
        }
    }

    async fn customer_sales_docs(&self, kind: DocKind, customer_id: &str) -> Result<Vec<Invoice>> {
        let name = kind.qbo_entity();
        self.query_all_named::<Invoice>(name, Query::select(name).eq("CustomerRef", customer_id))
            .await
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

    async fn company_info(&self) -> Result<CompanyInfo> {
        QboClient::company_info(self).await
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

    async fn read_items(&self, ids: &[String]) -> Result<Vec<Item>> {
        self.read_many::<Item>(ids).await
    }
}
