import Foundation
import KeywayModel

/// What several emitters derive from one catalog: the index of its cross references and
/// the scope audit (the checklists and `scopes.md` both show the audit). `Emitters.emitAll`
/// makes one for a run, so each is computed once, by the first emitter that asks for it;
/// an emitter that asks meanwhile waits for that one. Pure like the emitters: a function
/// of the catalog alone.
final class CatalogAnalysis: Sendable {
    let catalog: Catalog
    private let indexOnce = Once<CatalogIndex>()
    private let auditOnce = Once<ScopeAudit>()

    init(_ catalog: Catalog) { self.catalog = catalog }

    var index: CatalogIndex { indexOnce.value { CatalogIndex(catalog) } }
    var audit: ScopeAudit { auditOnce.value { ScopeAudit(catalog, index: index) } }
}

/// A value made by the first caller; later and concurrent callers get that one.
private final class Once<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var made: Value?

    func value(_ make: () -> Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        let value = make()
        made = value
        return value
    }
}
