import Foundation
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// The shipped tools held against what no one here wrote: the URL each reaches through
/// Nango's proxy (Nango's base URL for the provider, from its providers.yaml, joined with
/// the endpoint) must be the provider's documented method URL.
@Suite("Shipped tools against Nango's base URLs and the providers' documentation")
struct ShippedToolsTests {
    /// `proxy.base_url` of each Nango provider the shipped integrations use.
    static let nangoBaseURLs = [
        "google-mail": "https://gmail.googleapis.com",
        "google-calendar": "https://www.googleapis.com",
        "slack": "https://slack.com/api",
        "hubspot": "https://api.hubapi.com",
        "notion": "https://api.notion.com",
        "linear": "https://api.linear.app",
        "stripe": "https://api.stripe.com",
    ]

    @Test("every shipped tool reaches its provider's documented URL through Nango's proxy")
    func urls() throws {
        let catalog = try #require(Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path).catalog)
        var reached: [String] = []
        for connector in catalog.connectors {
            let integration = try #require(catalog.integrations.first { $0.key == connector.providerKey })
            let base = try #require(Self.nangoBaseURLs[integration.provider], "no Nango base URL known for \(integration.provider)")
            for tool in connector.tools { reached.append("\(connector.slug)_\(tool.name): \(tool.method.rawValue) \(base)\(tool.endpoint)") }
        }
        #expect(reached == [
            "gmail_send_email: POST https://gmail.googleapis.com/gmail/v1/users/me/messages/send",
            "gmail_search_emails: GET https://gmail.googleapis.com/gmail/v1/users/me/messages",
            "gmail_get_profile: GET https://gmail.googleapis.com/gmail/v1/users/me/profile",
            "google-calendar_list_events: GET https://www.googleapis.com/calendar/v3/calendars/{calendarId}/events",
            "google-calendar_create_event: POST https://www.googleapis.com/calendar/v3/calendars/{calendarId}/events",
            "hubspot_create_contact: POST https://api.hubapi.com/crm/v3/objects/contacts",
            "hubspot_search_contacts: POST https://api.hubapi.com/crm/v3/objects/contacts/search",
            "hubspot_list_deals: GET https://api.hubapi.com/crm/v3/objects/deals",
            "hubspot_create_deal: POST https://api.hubapi.com/crm/v3/objects/deals",
            "linear_query_issues: POST https://api.linear.app/graphql",
            "notion_search_pages: POST https://api.notion.com/v1/search",
            "slack_send_message: POST https://slack.com/api/chat.postMessage",
            "slack_list_channels: GET https://slack.com/api/conversations.list",
            "slack_list_users: GET https://slack.com/api/users.list",
            "stripe_list_customers: GET https://api.stripe.com/v1/customers",
        ])
    }

    @Test("least privilege: Calendar asks for calendar.events, HubSpot grants the oauth scope its install needs")
    func scopes() throws {
        let catalog = try #require(Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path).catalog)
        let grants = Dictionary(uniqueKeysWithValues: catalog.integrations.map { ($0.key, $0.auth.scopes.map { $0.scope + ($0.withoutTool ? " (without tool)" : "") }) })
        #expect(grants["google-calendar"] == ["https://www.googleapis.com/auth/calendar.events"])
        #expect(grants["hubspot"]?.first == "oauth (without tool)")
        #expect(Pipeline.validate(manifests: packageRoot.appendingPathComponent("Manifests").path).diagnostics == [], "the shipped manifests validate clean")
    }

    @Test("without_tool: silences the unused-scope warning and the audit's unused flag; on a used scope it is itself a warning")
    func withoutTool() throws {
        let unused = Fixture.folder(integration: Fixture.integration.replacing1("      reason: Agents send email\n", "      reason: Agents send email\n    - scope: openid\n      reason: The provider requires it\n"))
        #expect(Fixture.diagnostics(unused).map(\.message) == ["scope 'openid' is granted but no tool uses it; remove it (least privilege), add the tool that needs it, or mark it 'without_tool: true' if the provider requires it"])
        let marked = Fixture.folder(integration: Fixture.integration.replacing1("      reason: Agents send email\n", "      reason: Agents send email\n    - scope: openid\n      reason: The provider requires it\n      without_tool: true\n"))
        #expect(Fixture.diagnostics(marked) == [])
        let audit = ScopeAudit(try #require(marked.validate().catalog))
        #expect(audit.integrations[0].scopes.first { $0.scope == "openid" }?.flags.contains(.unused) == false)
        let wrong = Fixture.folder(integration: Fixture.integration.replacing1("      reason: Agents send email\n", "      reason: Agents send email\n      without_tool: true\n"))
        #expect(Fixture.diagnostics(wrong).map(\.formatted) == [
            "integrations/mail.yaml:11:14: warning: scope 'https://www.googleapis.com/auth/gmail.send' is marked 'without_tool: true' but tools use it; remove the mark",
        ])
    }
}
