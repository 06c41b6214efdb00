import KeywayModel

/// `Checklists/<key>.md`, one OAuth app checklist per integration (GitHub task lists, in
/// the order an engineer works), and `Checklists/README.md`, their index. Every value is
/// a code span and every prose string escaped: a manifest cannot add links or HTML.
public struct ChecklistEmitter: Emitter {
    public static let template = "checklist.md.mustache"
    public static let indexTemplate = "checklists-index.md.mustache"

    public init() {}

    struct View: Encodable {
        struct API: Encodable { var api: String }
        struct Redirect: Encodable { var environment: String; var uri: String }
        struct Scope: Encodable { var scope: String; var level: String; var reason: String; var tools: String }
        struct Secret: Encodable { var secret: String; var variable: String }
        var marker: String
        var name: String
        var key: String
        var keyText: String
        var provider: String
        var authMode: String
        var console: String?
        var apis: [API]
        var review: [String]
        var redirects: [Redirect]
        var scopes: [Scope]
        var secrets: [Secret]
        var testTool: String?
        var testRequest: String
    }

    struct IndexView: Encodable {
        struct Entry: Encodable { var name: String; var file: String; var summary: String }
        var marker: String
        var integrations: [Entry]
    }

    static let marker = GeneratedFile.marker + " from the manifests; do not edit, run `keyway generate`"

    public func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        try emit(CatalogAnalysis(catalog), templates: templates)
    }

    func emit(_ analysis: CatalogAnalysis, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        let catalog = analysis.catalog
        let prototypeCatalog = Catalog.prototype
        let renderer = try templates.renderer(Self.template, prototype: Self.view(prototypeCatalog.integrations[0], CatalogIndex(prototypeCatalog),
                                                                                  ScopeAudit(prototypeCatalog).integrations[0]))
        let indexRenderer = try templates.renderer(Self.indexTemplate, prototype: IndexView(marker: "", integrations: [.init(name: "", file: "", summary: "")]))
        let index = analysis.index, audit = analysis.audit
        var files = Parallel.map(Array(zip(catalog.integrations, audit.integrations))) { integration, audited in
            GeneratedFile(path: "Checklists/\(integration.key).md", contents: renderer.render(Self.view(integration, index, audited)), artifact: .checklists)
        }
        let entries = IndexView(marker: Self.marker, integrations: audit.integrations.map { i in
            let count = i.scopes.count
            return IndexView.Entry(name: Literal.markdown(i.name), file: "\(i.key).md",
                                   summary: Literal.markdown("\(count) scope\(count == 1 ? "" : "s"), highest level: \(i.highestLevel?.rawValue ?? (count == 0 ? "none" : "unknown"))")
                                       + (i.scopes.contains { $0.flags.contains(.unused) } ? Literal.markdown(", has unused scopes") : ""))
        })
        files.append(GeneratedFile(path: "Checklists/README.md", contents: indexRenderer.render(entries), artifact: .checklists))
        return files
    }

    /// The flags the level does not already say: unused, unknown.
    static func extraFlags(_ scope: ScopeAudit.Scope) -> String {
        let extra = scope.flags.filter { $0 == .unused || $0 == .unknown }
        return extra.isEmpty ? "" : " (" + extra.map(\.rawValue).joined(separator: ", ") + ")"
    }

    static func view(_ integration: Integration, _ catalog: CatalogIndex, _ audited: ScopeAudit.IntegrationScopes) -> View {
        let code = Literal.markdownCode, text = { (s: String) in Literal.markdown(s) }
        let levels = Set(audited.scopes.compactMap(\.level))
        var review: [String] = []
        if levels.contains(where: \.isGoogleTier) || integration.usesGoogleConsentScreen {
            review.append(text("Configure the OAuth consent screen: app name, support email, authorised domains, privacy policy and terms links; list every scope below."))
            if levels.contains(.restricted) {
                review.append(text("Restricted scopes requested: submit the app for Google's verification, and pass the annual third-party security assessment (CASA) before going to production."))
            } else if levels.contains(.sensitive) {
                review.append(text("Sensitive scopes requested: submit the app for Google's verification (a demo video and scope justifications) before going to production."))
            } else {
                review.append(text("Only non-sensitive scopes: brand verification is enough."))
            }
        } else if levels.contains(.admin) {
            review.append(text("Admin scopes requested: check the provider's app review or marketplace listing requirements before going to production."))
        } else if !audited.scopes.isEmpty {
            review.append(text("Fill in the app's name, description and logo as users will see them on the consent screen."))
        } else {
            review.append(text("No scope to review: access is what the user grants on the consent screen."))
        }
        if audited.scopes.contains(where: { $0.level == nil }) {
            review.append(text("Some scopes have no known level: add them to Manifests/scopes/ so that their review is known."))
        }
        let connectors = catalog.connectors(of: integration)
        // The read-only tool with the fewest required inputs (then by connector and name).
        let readOnly = connectors.lazy
            .flatMap { c in c.tools.lazy.filter { $0.method == .GET }.map { (c, $0, $0.inputs.count { !$0.schema.optional }) } }
            .min { ($0.2, $0.0.slug, $0.1.name) < ($1.2, $1.0.slug, $1.1.name) }
        return View(
            marker: marker, name: text(integration.name), key: code(integration.key), keyText: text(integration.key), provider: code(integration.provider),
            authMode: code(integration.auth.mode.rawValue), console: integration.auth.console.map(code),
            apis: integration.auth.enableAPIs.map { View.API(api: code($0)) }, review: review,
            redirects: integration.auth.redirectURIs.map { View.Redirect(environment: text($0.name), uri: code($0.value)) },
            scopes: audited.scopes.map { s in
                View.Scope(scope: code(s.scope), level: text(s.level?.rawValue ?? "unknown") + Self.extraFlags(s),
                           reason: text(s.reason.hasSuffix(".") ? s.reason : s.reason + "."),
                           tools: s.tools.isEmpty ? text("no tool (unused: remove it)") : s.tools.map(code).joined(separator: ", "))
            },
            secrets: integration.auth.secrets.map { View.Secret(secret: code($0.name), variable: code($0.value)) },
            testTool: readOnly.map { code($0.0.modelName(of: $0.1)) },
            testRequest: readOnly.map { code($0.1.method.rawValue + " " + $0.1.endpoint) } ?? "")
    }
}

/// `scopes.md`: the audit as one Markdown table, committed so that every pull request
/// that changes a scope shows it in review.
public struct ScopesReportEmitter: Emitter {
    public static let template = "scopes.md.mustache"

    public init() {}

    struct View: Encodable {
        struct Row: Encodable { var integration: String; var scope: String; var level: String; var reason: String; var tools: String; var flags: String }
        var marker: String
        var rows: [Row]
    }

    public func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        try emit(CatalogAnalysis(catalog), templates: templates)
    }

    func emit(_ analysis: CatalogAnalysis, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        [GeneratedFile(path: "scopes.md", contents: try templates.render(Self.template, Self.view(analysis.audit), prototype: Self.view(ScopeAudit(.prototype))), artifact: .audit)]
    }

    static func view(_ audit: ScopeAudit) -> View {
        // In a table, '|' ends a cell even inside a code span: prose escapes it, and code
        // spans (those made here and those `markdown` makes of link-like words) get it
        // escaped too.
        let code = { (s: String) in Literal.escapingPipes(Literal.markdownCode(s)) }
        let text = { (s: String) in Literal.markdown(s, tableCell: true) }
        return View(marker: ChecklistEmitter.marker, rows: audit.integrations.flatMap { i in
            i.scopes.map { s in
                View.Row(integration: code(i.key), scope: code(s.scope), level: text(s.level?.rawValue ?? "unknown"), reason: text(s.reason),
                         tools: s.tools.isEmpty ? "" : s.tools.map(code).joined(separator: ", "), flags: text(s.flags.map(\.rawValue).joined(separator: ", ")))
            }
        })
    }
}

extension ScopeAudit {
    /// The Markdown report: the scope table, and the changes when compared.
    public func markdown(templates: TemplateSet) throws(DiagnosticsError) -> String {
        let prototype = ScopesReportEmitter.view(ScopeAudit(.prototype))
        var text = try templates.render(ScopesReportEmitter.template, ScopesReportEmitter.view(self), prototype: prototype)
        if let calls {
            // The call log's figures, as the text, JSON and CSV reports give them.
            text += "\n## Use in the call log (the last \(Literal.markdown(calls.window)), since \(Literal.markdown(calls.since)))\n\n"
            text += "| Integration | Scope | Calls | Last called | Refused |\n|---|---|---|---|---|\n"
            for integration in integrations {
                for scope in integration.scopes {
                    let use = scope.use ?? Use(calls: 0, lastCalled: nil, refused: 0)
                    text += "| " + [Literal.escapingPipes(Literal.markdownCode(integration.key)), Literal.escapingPipes(Literal.markdownCode(scope.scope)),
                                    String(use.calls), use.lastCalled.map { Literal.markdown($0, tableCell: true) } ?? "", String(use.refused)].joined(separator: " | ") + " |\n"
                }
            }
        }
        if let changes {
            text += "\n## Changes since the baseline\n\n"
            if changes.isEmpty {
                text += "No change.\n"
            } else {
                for change in changes { text += "- " + Literal.markdown(change.summary) + "\n" }
            }
        }
        return text
    }
}
