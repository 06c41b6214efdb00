import Foundation
import KeywayEmit
import KeywayModel

extension Pipeline {
    /// The audit of the manifests, compared with a baseline audit when given.
    public static func audit(manifests folder: String, baseline: ScopeAudit?) throws(DiagnosticsError) -> (audit: ScopeAudit, diagnostics: [Diagnostic]) {
        let validation = validate(manifests: folder)
        guard let catalog = validation.catalog else { throw DiagnosticsError(validation.diagnostics) }
        let audit = ScopeAudit(catalog)
        return (baseline.map { audit.comparing(with: $0) } ?? audit, validation.diagnostics)
    }
}
