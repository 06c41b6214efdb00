import Foundation
import KeywayEmit
import KeywayLoad
import KeywayModel
import KeywayTemplates
import KeywayValidate
import KeywayWrite

/// load → validate → emit, as one call each; the CLI and the tests use these.
public enum Pipeline {
    /// What becomes of the parse trees once the validator has read the catalog from them.
    public enum ParseTreeDisposal: Sendable {
        /// Freed on another thread: a process that goes on after the run gets the memory back.
        case freeInBackground
        /// Handed to `ProcessLifetime`: a command that exits after the run. Freeing the trees
        /// of a thousand manifests costs some 30 ms of CPU, taken from the emitters that run
        /// meanwhile; the exit returns the memory at once.
        case keepUntilExit
    }

    /// Loads and validates a manifests folder: every diagnostic of both stages, sorted.
    /// The project's settings (`keyway.yaml`) go into the catalog.
    public static func validate(manifests folder: String, config: ProjectConfig = .default, parseTrees: ParseTreeDisposal = .freeInBackground) -> ValidationResult {
        // A folder keyway.yaml names is reported at the line that names it.
        if let origin = config.origins.manifests, folder == config.manifests, !FolderReader.isFolder(folder) {
            return ValidationResult(catalog: nil, diagnostics: [.error(origin, missingFolder("manifests", folder))])
        }
        let loaded = ManifestLoader().load(folder: folder)
        var result = Validator().validate(loaded.documents, unreadFiles: loaded.unreadFiles)
        result.diagnostics = (loaded.diagnostics + result.diagnostics).sortedForReport()
        // The parse trees are not needed any more; freeing thousands of them takes
        // milliseconds that the next stage need not wait for.
        switch parseTrees {
        case .freeInBackground: releaseInBackground(consume loaded)
        case .keepUntilExit: ProcessLifetime.keep(loaded)
        }
        if result.diagnostics.hasErrors { result.catalog = nil }
        result.catalog?.tenancy = config.tenancy
        return result
    }

    /// The project's `keyway.yaml`: the file given, else `keyway.yaml` in the working
    /// directory when there is one, else the defaults.
    public static func projectConfig(path: String?) throws(DiagnosticsError) -> ProjectConfig {
        let file = path ?? ProjectConfig.fileName
        guard FolderReader.exists(file) else {
            if path == nil { return .default }
            throw DiagnosticsError([.error(SourceLocation(file: file, line: 1, column: 1), "configuration file not found; pass an existing file to --config, or run without it to use the defaults")])
        }
        let loaded = ManifestLoader().loadFile(URL(fileURLWithPath: file), display: file)
        let base = (file as NSString).deletingLastPathComponent
        guard let root = loaded.root else {
            if loaded.diagnostics.isEmpty { return ProjectConfigReader.defaults(base: base) }
            throw DiagnosticsError(loaded.diagnostics)
        }
        let (config, diagnostics) = ProjectConfigReader.read(root, base: base)
        guard let config, !loaded.diagnostics.hasErrors else { throw DiagnosticsError(loaded.diagnostics + diagnostics) }
        return config
    }

    /// The built-in templates, file name → text.
    public static var defaultTemplates: [String: String] { DefaultTemplates.all }

    /// Why a folder keyway.yaml names cannot be used. `folder` is the path as keyway opens
    /// it from the working directory (keyway.yaml's value, joined to keyway.yaml's folder
    /// when relative); the diagnostic's position shows the value as written.
    static func missingFolder(_ what: String, _ folder: String) -> String {
        let shown = folder.forDiagnostic
        if FolderReader.exists(folder) {
            return "\(what) folder '\(shown)' is a file, not a folder; fix the path, or put a folder there"
        }
        return "\(what) folder '\(shown)' does not exist; create it, or fix the path (a relative path is taken from the folder of keyway.yaml)"
    }

    /// The built-in templates, each replaced by the file of the same name in `folder`
    /// when one exists there. `origin`: where keyway.yaml names the folder, if it does.
    public static func templates(overrides folder: String?, origin: SourceLocation? = nil) throws(DiagnosticsError) -> TemplateSet {
        var overrides: [String: FolderReader.Entry] = [:]
        if let folder {
            switch FolderReader.list(folder, reading: { DefaultTemplates.all[$0] != nil }) {
            case .absent, .notAFolder:
                if let origin { throw DiagnosticsError([.error(origin, missingFolder("templates", folder))]) }
                throw DiagnosticsError([.error(SourceLocation(file: folder, line: 1, column: 1), "templates folder not found; pass an existing folder to --templates")])
            case .unreadable(let reason):
                throw DiagnosticsError([.error(SourceLocation(file: folder, line: 1, column: 1), "cannot read the templates folder (\(reason)); make it readable")])
            case .entries(let entries):
                for (name, entry) in entries { overrides[name] = entry }
            }
        }
        var sources: [TemplateSet.Source] = []
        for (name, text) in DefaultTemplates.all.sorted(by: { $0.key < $1.key }) {
            if let folder, let entry = overrides[name] {
                let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
                guard case .file(let data) = entry, let text = String(data: data, encoding: .utf8) else {
                    throw DiagnosticsError([.error(SourceLocation(file: path, line: 1, column: 1), "cannot read the template as UTF-8 text")])
                }
                sources.append(.init(name: name, path: path, text: text))
                continue
            }
            sources.append(.init(name: name, path: "<built-in>/" + name, text: text, builtIn: true))
        }
        // A misnamed override would silently change nothing.
        if let folder {
            let unknown = overrides.keys.sorted()
                .filter { $0.hasSuffix(".mustache") && DefaultTemplates.all[$0] == nil }
            if !unknown.isEmpty {
                let names = DefaultTemplates.all.keys.sorted().joined(separator: ", ")
                throw DiagnosticsError(unknown.map {
                    .error(SourceLocation(file: (folder.hasSuffix("/") ? folder : folder + "/") + $0, line: 1, column: 1),
                           "no built-in template has this name, so it would replace nothing; rename it to one of: \(names)")
                })
            }
        }
        return TemplateSet(sources: sources)
    }

    public struct Generation: Sendable {
        public var catalog: Catalog
        public var files: [GeneratedFile]
        public var diagnostics: [Diagnostic]
    }

    /// Validates, then emits every file. Throws with all diagnostics when the manifests
    /// or the templates have errors: nothing is emitted from a broken model.
    /// Emits the artifacts `config` chooses, in its Swift layout.
    public static func generate(manifests folder: String, templates: TemplateSet, config: ProjectConfig = .default,
                                parseTrees: ParseTreeDisposal = .freeInBackground) throws(DiagnosticsError) -> Generation {
        let validation = validate(manifests: folder, config: config, parseTrees: parseTrees)
        guard let catalog = validation.catalog else { throw DiagnosticsError(validation.diagnostics) }
        do throws(DiagnosticsError) {
            let files = try Emitters.emitAll(catalog, templates: templates, artifacts: config.artifacts, swiftLayout: config.swiftLayout)
            return Generation(catalog: catalog, files: files, diagnostics: validation.diagnostics)
        } catch {
            throw DiagnosticsError((validation.diagnostics + error.diagnostics).sortedForReport())
        }
    }
}

/// Frees `value` on another thread (the last reference is the one handed over).
func releaseInBackground<Value>(_ value: consuming Value) {
    let box = ReleaseBox(consume value)
    DispatchQueue.global(qos: .utility).async { box.value = nil }
}

private final class ReleaseBox<Value>: @unchecked Sendable {
    var value: Value?
    init(_ value: consuming Value) { self.value = consume value }
}
