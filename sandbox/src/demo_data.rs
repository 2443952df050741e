//! The demo data set both sandboxes seed with `Seed::Demo`: one list, so the overlap between
//! the HubSpot portal and the QBO company (by e-mail, SKU and name) is defined in one place.

/// A person who is a HubSpot contact, a QBO customer, or both (matched by e-mail).
#[derive(Debug, Clone, Copy)]
pub struct DemoPerson {
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub company: &'static str,
    pub phone: &'static str,
    pub street: &'static str,
    pub city: &'static str,
    /// State / province code (QBO `CountrySubDivisionCode`).
    pub region: &'static str,
    pub postal_code: &'static str,
    pub country: &'static str,
    pub on_hubspot: bool,
    pub on_quickbooks: bool,
}

/// A product that is a HubSpot product, a QBO item, or both (matched by SKU, then name).
#[derive(Debug, Clone, Copy)]
pub struct DemoProduct {
    pub name: &'static str,
    /// Empty when the product has no SKU (it then matches by name only).
    pub sku: &'static str,
    pub description: &'static str,
    /// Decimal text, e.g. "149.00".
    pub price: &'static str,
    /// Decimal text; empty when unknown.
    pub cost: &'static str,
    pub on_hubspot: bool,
    pub on_quickbooks: bool,
}

/// Names that exist in QBO as vendors (DisplayName is unique across customers, vendors and
/// employees, so a customer named like one of these collides with error 6240).
pub const QBO_VENDOR_NAMES: &[&str] = &["Ada Lovelace", "Northwind Supplies"];

/// Names that exist in QBO as employees (same uniqueness rule as vendors).
pub const QBO_EMPLOYEE_NAMES: &[&str] = &["Grace Hopper"];

const fn person(
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    company: &'static str,
    phone: &'static str,
    (street, city, region, postal_code, country): (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
    (on_hubspot, on_quickbooks): (bool, bool),
) -> DemoPerson {
    DemoPerson {
        first_name,
        last_name,
        email,
        company,
        phone,
        street,
        city,
        region,
        postal_code,
        country,
        on_hubspot,
        on_quickbooks,
    }
}

const BOTH: (bool, bool) = (true, true);
const HUBSPOT_ONLY: (bool, bool) = (true, false);
const QBO_ONLY: (bool, bool) = (false, true);

/// People: four on both sides, three HubSpot-only (one whose derived DisplayName collides
/// with a QBO vendor), two QBO-only.
pub const PEOPLE: &[DemoPerson] = &[
    person(
        "Maria",
        "Garcia",
        "maria.garcia@brightlane.example",
        "Brightlane Studio",
        "+1 415 555 0101",
        ("12 Market St", "San Francisco", "CA", "94105", "USA"),
        BOTH,
    ),
    person(
        "James",
        "Okafor",
        "james@okafor-builds.example",
        "Okafor Builds",
        "+1 512 555 0142",
        ("88 Congress Ave", "Austin", "TX", "78701", "USA"),
        BOTH,
    ),
    person(
        "Lena",
        "Fischer",
        "lena.fischer@northpeak.example",
        "Northpeak Outdoor",
        "+1 303 555 0177",
        ("400 Larimer St", "Denver", "CO", "80202", "USA"),
        BOTH,
    ),
    person(
        "Priya",
        "Raman",
        "priya@lumenlabs.example",
        "Lumen Labs",
        "+1 617 555 0199",
        ("1 Kendall Sq", "Cambridge", "MA", "02139", "USA"),
        BOTH,
    ),
    person(
        "Tom",
        "Becker",
        "tom.becker@harborfreight.example",
        "Harbor Logistics",
        "+1 206 555 0123",
        ("2200 Alaskan Way", "Seattle", "WA", "98121", "USA"),
        HUBSPOT_ONLY,
    ),
    person(
        "Sofia",
        "Rossi",
        "sofia.rossi@casarossi.example",
        "Casa Rossi",
        "+1 312 555 0168",
        ("233 S Wacker Dr", "Chicago", "IL", "60606", "USA"),
        HUBSPOT_ONLY,
    ),
    person(
        "Ada",
        "Lovelace",
        "ada@analytical.example",
        "Analytical Engines",
        "+1 646 555 0110",
        ("5 Hudson Yards", "New York", "NY", "10001", "USA"),
        HUBSPOT_ONLY,
    ),
    person(
        "Kenji",
        "Watanabe",
        "kenji@sakura-tea.example",
        "Sakura Tea Co",
        "+1 503 555 0135",
        ("700 SW Broadway", "Portland", "OR", "97205", "USA"),
        QBO_ONLY,
    ),
    person(
        "Olivia",
        "Brown",
        "olivia.brown@fernway.example",
        "Fernway Florals",
        "+1 919 555 0188",
        ("150 Fayetteville St", "Raleigh", "NC", "27601", "USA"),
        QBO_ONLY,
    ),
];

const fn product(
    name: &'static str,
    sku: &'static str,
    description: &'static str,
    price: &'static str,
    cost: &'static str,
    (on_hubspot, on_quickbooks): (bool, bool),
) -> DemoProduct {
    DemoProduct {
        name,
        sku,
        description,
        price,
        cost,
        on_hubspot,
        on_quickbooks,
    }
}

/// Products: two matched by SKU, one by name only (no SKU on either side), one per side only.
pub const PRODUCTS: &[DemoProduct] = &[
    product(
        "Onboarding Workshop",
        "SVC-ONB-01",
        "Half-day onboarding workshop",
        "1200.00",
        "300.00",
        BOTH,
    ),
    product(
        "Monthly Support Plan",
        "SVC-SUP-12",
        "Support plan, billed monthly",
        "249.00",
        "",
        BOTH,
    ),
    product(
        "Custom Integration Hour",
        "",
        "One hour of integration work",
        "150.00",
        "",
        BOTH,
    ),
    product(
        "Data Migration Package",
        "SVC-MIG-05",
        "Migration of up to 50k records",
        "3500.00",
        "900.00",
        HUBSPOT_ONLY,
    ),
    product(
        "Hardware Sensor Kit",
        "HW-SENS-02",
        "Sensor kit with gateway",
        "499.00",
        "210.00",
        QBO_ONLY,
    ),
];
