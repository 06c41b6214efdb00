import Foundation
import KeywayEmit
import KeywayModel

extension Pipeline {
    /// The audit of the manifests, compared with a baseline audit when given.
    /// `config`: the project's settings, so that a manifests folder keyway.yaml names and
    /// that is missing is reported at keyway.yaml's line.
    public static func audit(manifests folder: some Folder, config: ProjectConfig = .default, baseline: ScopeAudit?) throws(DiagnosticsError) -> (audit: ScopeAudit, catalog: Catalog, diagnostics: [Diagnostic]) {
        let validation = validate(manifests: folder, config: config)
        guard let catalog = validation.catalog else { throw DiagnosticsError(validation.diagnostics) }
        let audit = ScopeAudit(catalog)
        return (baseline.map { audit.comparing(with: $0) } ?? audit, catalog, validation.diagnostics)
    }
}
