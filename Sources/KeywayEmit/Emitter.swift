import KeywayModel

/// An emitter turns the validated catalog into files. It is a pure function: no file
/// system, no clock, no environment — same catalog and templates, same bytes.
public protocol Emitter: Sendable {
    func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile]
}

public enum Emitters {
    /// Every built-in template, with a prototype of the view it is rendered with (one
    /// element in every list): what a template may name.
    static var templateViews: [String: any TemplateView] {
        [
            CatalogEmitter.swiftTemplate: CatalogEmitter.View(.prototype, style: .swift),
            CatalogEmitter.jsonTemplate: CatalogEmitter.View(.prototype, style: .json),
            RLSTestsEmitter.template: RLSTestsEmitter.prototype,
            MigrationEmitter.templates[.postgres]!: MigrationEmitter.prototype,
            MigrationEmitter.templates[.sqlite]!: MigrationEmitter.prototype,
            ToolsEmitter.template: ToolsEmitter.view(Catalog.prototype.connectors[0]),
            ToolsEmitter.registryTemplate: ToolsEmitter.RegistryView(marker: "", tools: [.init(reference: "")]),
            ChecklistEmitter.template: ChecklistEmitter.view(Catalog.prototype.integrations[0], CatalogIndex(.prototype), ScopeAudit(.prototype).integrations[0]),
            ChecklistEmitter.indexTemplate: ChecklistEmitter.IndexView(marker: "", integrations: [.init(name: "", file: "", summary: "")]),
            ScopesReportEmitter.template: ScopesReportEmitter.view(ScopeAudit(.prototype)),
        ]
    }

    /// Every problem of the templates: each parsed, and each override's names checked
    /// against its view, as the emitters would on their first render. `keyway validate
    /// --templates` reports these without rendering anything.
    public static func templateProblems(_ templates: TemplateSet) -> [Diagnostic] {
        templateViews.keys.sorted().flatMap { name -> [Diagnostic] in
            do throws(DiagnosticsError) {
                _ = try templates.renderer(name, prototype: templateViews[name]!)
                return []
            } catch {
                return error.diagnostics
            }
        }
    }

    /// Runs the emitters of the chosen artifacts; collects every template problem before
    /// failing. Files come back sorted by path. The emitters run side by side, each a pure
    /// function of the catalog (libdispatch runs a map nested in this one on the core it
    /// is on; a lone emitter spreads its files over the cores). What several of them derive
    /// from the catalog (its index, the scope audit) is computed once for all.
    public static func emitAll(_ catalog: Catalog, templates: TemplateSet, artifacts: [Artifact] = Artifact.allCases, swiftLayout: SwiftLayout = .perConnector) throws(DiagnosticsError) -> [GeneratedFile] {
        typealias Emit = (CatalogAnalysis) throws(DiagnosticsError) -> [GeneratedFile]
        // Largest first (tools, the catalog, checklists, scopes, RLS tests): an emitter
        // inside this map runs on one core, so the order decides how evenly the cores finish.
        let emitters: [(emit: Emit, artifacts: [Artifact])] = [
            ({ analysis throws(DiagnosticsError) in try ToolsEmitter(layout: swiftLayout).emit(analysis.catalog, templates: templates) }, [.swift]),
            ({ analysis throws(DiagnosticsError) in try CatalogEmitter().emit(analysis, templates: templates) }, [.swift, .catalog]),
            ({ analysis throws(DiagnosticsError) in try ChecklistEmitter().emit(analysis, templates: templates) }, [.checklists]),
            ({ analysis throws(DiagnosticsError) in try ScopesReportEmitter().emit(analysis, templates: templates) }, [.audit]),
            ({ analysis throws(DiagnosticsError) in try RLSTestsEmitter().emit(analysis.catalog, templates: templates) }, [.migrations]),
        ].filter { $0.artifacts.contains(where: artifacts.contains) }
        let analysis = CatalogAnalysis(catalog)
        let results = Parallel.map(emitters.map(\.emit), threshold: 2) { emit in
            Result { () throws(DiagnosticsError) in try emit(analysis) }
        }
        var files: [GeneratedFile] = []
        var problems: [Diagnostic] = []
        for result in results {
            switch result {
            case .success(let emitted): files += emitted.filter { $0.artifact.map(artifacts.contains) ?? true }
            case .failure(let error): problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw DiagnosticsError(problems.sortedForReport()) }
        return files.sorted { $0.path < $1.path }
    }
}
