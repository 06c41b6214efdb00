import Foundation
import KeywayEmit
import KeywayLoad
import KeywayModel
import KeywayTemplates
import KeywayValidate
import KeywayFiles

/// load → validate → emit, as one call each; the CLI and the tests use these.
public enum Pipeline {
    /// Loads and validates a manifests folder: every diagnostic of both stages, sorted.
    /// The project's settings (`keyway.yaml`) go into the catalog.
    public static func validate(manifests folder: some Folder, config: ProjectConfig = .default) -> ValidationResult {
        // A folder keyway.yaml names is reported at the line that names it.
        if let origin = config.origins.manifests, folder.path == config.manifests, folder.item("") != .folder {
            return ValidationResult(catalog: nil, diagnostics: [.error(origin, missingFolder("manifests", folder))])
        }
        let loaded = ManifestLoader().load(folder)
        var result = Validator().validate(loaded.documents, unreadFiles: loaded.unreadFiles)
        result.diagnostics = (loaded.diagnostics + result.diagnostics).sortedForReport()
        result.documents = loaded.documents
        if result.diagnostics.hasErrors { result.catalog = nil }
        result.catalog?.tenancy = config.tenancy
        return result
    }

    /// The project's `keyway.yaml`, named `name` in `folder` (the folder that holds it,
    /// from which its relative paths are taken). `required`: the user named the file
    /// (`--config`); otherwise an absent file means the defaults.
    public static func projectConfig(_ name: String, in folder: some Folder, required: Bool) throws(DiagnosticsError) -> ProjectConfig {
        let display = folder.display(name)
        let at = SourceLocation.start(of: display)
        let loaded: ManifestLoader.LoadedFile
        switch folder.read(name, limit: ManifestLoader.maxFileSize) {
        case .absent:
            if !required { return .default }
            throw DiagnosticsError([.error(at, "configuration file not found; pass an existing file to --config, or run without it to use the defaults")])
        case .notAFile:
            throw DiagnosticsError([.error(at, "this is not a file; pass keyway.yaml's path to --config")])
        case .unreadable(let reason):
            throw DiagnosticsError([.error(at, "cannot read the configuration file (\(reason)); make it readable")])
        case .bytes(let bytes):
            loaded = ManifestLoader().parse(bytes, display: display, configuration: true)
        }
        guard let root = loaded.root else {
            if loaded.diagnostics.isEmpty { return ProjectConfigReader.defaults(base: folder.path) }
            throw DiagnosticsError(loaded.diagnostics)
        }
        let (config, diagnostics) = ProjectConfigReader.read(root, base: folder.path)
        guard let config, !loaded.diagnostics.hasErrors else { throw DiagnosticsError(loaded.diagnostics + diagnostics) }
        return config
    }

    /// The built-in templates, file name → text.
    public static var defaultTemplates: [String: String] { DefaultTemplates.all }

    /// Why a folder keyway.yaml names cannot be used. The diagnostic's position shows the
    /// value as written; the message, the folder as keyway opens it.
    static func missingFolder(_ what: String, _ folder: some Folder) -> String {
        let shown = folder.path.forDiagnostic
        switch folder.item("") {
        case .file, .other:
            return "\(what) folder '\(shown)' is a file, not a folder; fix the path, or put a folder there"
        default:
            return "\(what) folder '\(shown)' does not exist; create it, or fix the path (a relative path is taken from the folder of keyway.yaml)"
        }
    }

    /// The built-in templates, each replaced by the file of the same name in `folder`
    /// when one exists there. `origin`: where keyway.yaml names the folder, if it does.
    public static func templates(overrides folder: (any Folder)?, origin: SourceLocation? = nil) throws(DiagnosticsError) -> TemplateSet {
        var overrides: [String] = []
        if let folder {
            switch folder.list("") {
            case .absent, .notAFolder:
                if let origin { throw DiagnosticsError([.error(origin, missingFolder("templates", folder))]) }
                throw DiagnosticsError([.error(.start(of: folder.path), "templates folder not found; pass an existing folder to --templates")])
            case .unreadable(let reason):
                throw DiagnosticsError([.error(.start(of: folder.path), "cannot read the templates folder (\(reason)); make it readable")])
            case .names(let names):
                overrides = names
            }
        }
        var sources: [TemplateSet.Source] = []
        for (name, text) in DefaultTemplates.all.sorted(by: { $0.key < $1.key }) {
            if let folder, overrides.contains(name) {
                guard let bytes = folder.contents(name), let text = String(validating: bytes, as: UTF8.self) else {
                    throw DiagnosticsError([.error(.start(of: folder.display(name)), "cannot read the template as UTF-8 text")])
                }
                sources.append(.init(name: name, path: folder.display(name), text: text))
                continue
            }
            sources.append(.init(name: name, path: "<built-in>/" + name, text: text, builtIn: true))
        }
        // A misnamed override would silently change nothing.
        if let folder {
            let unknown = overrides.filter { $0.hasSuffix(".mustache") && DefaultTemplates.all[$0] == nil }
            if !unknown.isEmpty {
                let names = DefaultTemplates.all.keys.sorted().joined(separator: ", ")
                throw DiagnosticsError(unknown.map {
                    .error(.start(of: folder.display($0)), "no built-in template has this name, so it would replace nothing; rename it to one of: \(names)")
                })
            }
        }
        return TemplateSet(sources: sources)
    }

    public struct Generation: Sendable {
        public var catalog: Catalog
        public var files: [GeneratedFile]
        public var diagnostics: [Diagnostic]
        /// The parse trees, freed with the generation (see `ValidationResult.documents`).
        public var documents: [ManifestDocument] = []
    }

    /// Validates, then emits every file. Throws with all diagnostics when the manifests
    /// or the templates have errors: nothing is emitted from a broken model.
    /// Emits the artifacts `config` chooses, in its Swift layout.
    public static func generate(manifests folder: some Folder, templates: TemplateSet, config: ProjectConfig = .default) throws(DiagnosticsError) -> Generation {
        let validation = validate(manifests: folder, config: config)
        guard let catalog = validation.catalog else { throw DiagnosticsError(validation.diagnostics) }
        do throws(DiagnosticsError) {
            let files = try Emitters.emitAll(catalog, templates: templates, artifacts: config.artifacts, swiftLayout: config.swiftLayout)
            return Generation(catalog: catalog, files: files, diagnostics: validation.diagnostics, documents: validation.documents)
        } catch {
            throw DiagnosticsError((validation.diagnostics + error.diagnostics).sortedForReport())
        }
    }
}
