import Foundation
import KeywayCore
import KeywayEmit
import KeywayFiles
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate

// The stages read folders through `Folder`; the tests name most folders by path, as the
// command line does: these read them as the command line does, through `LocalFolder`.

extension Pipeline {
    static func validate(manifests: String, config: ProjectConfig = .default) -> ValidationResult {
        validate(manifests: LocalFolder(manifests), config: config)
    }

    static func generate(manifests: String, templates: TemplateSet, config: ProjectConfig = .default) throws(DiagnosticsError) -> Generation {
        try generate(manifests: LocalFolder(manifests), templates: templates, config: config)
    }

    static func templates(overrides folder: String, origin: SourceLocation? = nil) throws(DiagnosticsError) -> TemplateSet {
        try templates(overrides: LocalFolder(folder), origin: origin)
    }

    static func projectConfig(path: String?) throws(DiagnosticsError) -> ProjectConfig {
        try ProjectConfig.loadForTests(path: path)
    }

    static func audit(manifests: String, config: ProjectConfig = .default, baseline: ScopeAudit?) throws(DiagnosticsError) -> (audit: ScopeAudit, catalog: Catalog, diagnostics: [Diagnostic]) {
        try audit(manifests: LocalFolder(manifests), config: config, baseline: baseline)
    }
}

extension ProjectConfig {
    /// `ProjectConfig.load(path:)` of KeywayCommandLine, for tests that do not import it.
    static func loadForTests(path: String?) throws(DiagnosticsError) -> ProjectConfig {
        guard let path else { return try Pipeline.projectConfig(fileName, in: LocalFolder(""), required: false) }
        let url = URL(fileURLWithPath: path)
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : ""
        return try Pipeline.projectConfig(url.lastPathComponent, in: LocalFolder(folder.isEmpty && path.hasPrefix("/") ? "/" : folder), required: true)
    }
}

extension MigrationsFolder {
    init(output: String, dialects: [SQLDialect] = SQLDialect.allCases) {
        self.init(output: LocalFolder(output), dialects: dialects)
    }

    static func files(in folder: String) -> [MigrationFile] { files(in: LocalFolder(folder)) }

    static func read(folder: String, display: String) -> (files: [MigrationFile], problems: [Diagnostic]) {
        read(LocalFolder(display))
    }
}

extension ManifestLoader {
    func load(folder: String) -> LoadResult { load(LocalFolder(folder)) }
}
