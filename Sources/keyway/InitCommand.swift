import ArgumentParser
import Foundation
import KeywayCommandLine
import KeywayCore
import KeywayModel
import KeywayNango

/// `keyway init`: the generator's `init` (a commented keyway.yaml and a sample that
/// validates), and with `--provider`, an integration and an empty connector started from
/// Nango's description of that provider.
struct InitProject: KeywayCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Starts a project here (keyway.yaml and a sample that validates), or, with --provider, an integration from Nango's provider.")

    @Option(name: .long, help: "The manifests folder (default: keyway.yaml's manifests, else Manifests).")
    var manifests: String?
    @Option(name: .long, help: "Start an integration and an empty connector from this Nango provider (GET /providers/NAME, or --providers).")
    var provider: String?
    @Option(name: .long, help: "A providers.yaml of yours (Nango's format) to read the provider from, instead of asking Nango.")
    var providers: String?
    @OptionGroup var nango: NangoOptions

    func validate() throws {
        if providers != nil && provider == nil { throw ValidationError("--providers needs --provider NAME") }
    }

    func run(_ run: CommandRun) async throws {
        let existing = FileManager.default.fileExists(atPath: ProjectConfig.fileName) ? try ProjectConfig.load(path: nil) : nil
        let folder = manifests ?? existing?.manifests ?? "Manifests"
        try Init.checkManifests(folder)
        guard let provider else {
            try Init.create(ProjectScaffold.files(manifests: folder), run)
            if !run.diagnostics.hasErrors {
                run.say("keyway: next, `keyway generate` writes Generated/ from \(folder)/, and `keyway migrate diff --name initial` the first migration")
            }
            return
        }
        let description: NangoAPI.Provider
        if let providers {
            let at = SourceLocation.start(of: providers)
            let size = (try? FileManager.default.attributesOfItem(atPath: providers)[.size] as? Int) ?? 0
            guard size <= ProviderStart.maximumCatalogBytes, let data = FileManager.default.contents(atPath: providers) else {
                throw DiagnosticsError([.error(at, size > ProviderStart.maximumCatalogBytes
                    ? "the providers file is larger than \(ProviderStart.maximumCatalogBytes >> 20) MiB; keyway does not read it"
                    : "cannot read the providers file; pass Nango's providers.yaml (or one of yours in its format)")])
            }
            switch ProviderStart.provider(provider, inCatalog: Array(data), file: providers) {
            case .success(let p): description = p
            case .failure(let diagnostic): throw DiagnosticsError([diagnostic])
            }
        } else {
            let api = try nango.api()
            do {
                guard let p = try await api.provider(provider) else {
                    throw DiagnosticsError([.error(.commandLine, NangoAPI.unknownProvider(provider, among: try await api.providerNames()))])
                }
                description = p
            } catch let failure as NangoAPI.Failure {
                throw failure.diagnostics
            }
        }
        var files: [GeneratedFile]
        switch ProviderStart.files(for: description, manifests: folder) {
        case .success(let f): files = f
        case .failure(let diagnostic): throw DiagnosticsError([diagnostic])
        }
        if existing == nil { files.insert(GeneratedFile(path: ProjectConfig.fileName, contents: ProjectScaffold.config(manifests: folder)), at: 0) }
        try Init.create(files, run)
        if !run.diagnostics.hasErrors {
            run.say("keyway: next, add tools to \(ProjectConfig.join(folder, "connectors/\(description.name).yaml")) and `keyway nango plan` shows what Nango gets")
        }
    }
}
