import Foundation
import KeywayCore
@testable import KeywayEmit
import KeywayModel
import Testing

/// keyway renders its templates with its own renderer (`CompiledTemplate`) and falls back
/// to swift-mustache for templates it does not read. These tests hold the two to the same
/// bytes: on every emitted file of real, hostile and prototype catalogs, and on thousands of
/// random templates and views.
@Suite("Template renderer: the same bytes as swift-mustache")
struct TemplateEngineTests {
    static func catalog(_ folder: String) throws -> Catalog {
        try #require(Pipeline.validate(manifests: folder).catalog)
    }

    /// A run takes the built-in templates as checked (it neither parses them with
    /// swift-mustache nor checks their names, see `TemplateSet.renderer`): this is the check.
    @Test("every built-in template is read by keyway's renderer and parses in swift-mustache")
    func builtInsCompile() throws {
        let templates = try Pipeline.templates(overrides: nil)
        #expect(templates.sources.values.allSatisfy { $0.builtIn })
        for (name, text) in Pipeline.defaultTemplates {
            #expect(CompiledTemplate(text) != nil, "\(name)")
            #expect(TemplateSet.mustacheRendering(text, .object([])) != nil, "\(name)")
        }
    }

    @Test("every file generate writes is the same through either renderer", arguments: ["Manifests", "Tests/Fixtures/HostileManifests"])
    func sameFiles(_ folder: String) throws {
        let templates = try Pipeline.templates(overrides: nil)
        let mustacheOnly = TemplateSet(sources: Array(templates.sources.values), ownRenderer: false)
        let catalog = try Self.catalog(packageRoot.appendingPathComponent(folder).path)
        let fast = try Emitters.emitAll(catalog, templates: templates)
        let reference = try Emitters.emitAll(catalog, templates: mustacheOnly)
        #expect(fast.map(\.path) == reference.map(\.path))
        for (a, b) in zip(fast, reference) {
            #expect(a.contents == b.contents, "\(a.path) differs")
        }
        for prototype in [Catalog.prototype] {
            #expect(try Emitters.emitAll(prototype, templates: templates) == Emitters.emitAll(prototype, templates: mustacheOnly))
        }
    }

    @Test("views convert to the dictionaries reflection made of them")
    func viewsMatchReflection() throws {
        var views: [Any] = Array(Emitters.templateViews.values)
        let catalog = try Self.catalog(packageRoot.appendingPathComponent("Manifests").path)
        views += catalog.connectors.map { ToolsEmitter.view($0) }
        views += [CatalogEmitter.View(catalog, style: .swift), CatalogEmitter.View(catalog, style: .json), ScopesReportEmitter.view(ScopeAudit(catalog))]
        let audit = ScopeAudit(catalog)
        views += zip(catalog.integrations, audit.integrations).map { ChecklistEmitter.view($0, CatalogIndex(catalog), $1) }
        for view in views {
            let converted = try #require(view as? TemplateViewValue, "\(type(of: view))").templateValue.any
            #expect(Self.same(converted, Self.reflected(view)), "\(type(of: view))")
        }
    }

    /// The view as nested dictionaries and arrays, by reflection (absent optionals left out):
    /// what TemplateSet handed swift-mustache before views converted themselves.
    static func reflected(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct, .class:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label else { continue }
                let childMirror = Mirror(reflecting: child.value)
                if childMirror.displayStyle == .optional {
                    if let wrapped = childMirror.children.first { fields[label] = reflected(wrapped.value) }
                } else {
                    fields[label] = reflected(child.value)
                }
            }
            return fields
        case .collection:
            return mirror.children.map { reflected($0.value) }
        default:
            return value
        }
    }

    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        case let (a as [Any], b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy(same)
        case let (a as String, b as String): return a == b
        case let (a as Bool, b as Bool): return a == b
        case let (a as Int, b as Int): return a == b
        default: return false
        }
    }

    // MARK: Random templates

    /// A small deterministic generator (SplitMix64), so that a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
    }

    static let names = ["a", "b", "list", "flag", "n", "a.b", ".", "list.a", "missing", ".a"]
    static let texts = ["x", " ", "  ", "\t", "\n", "\r\n", "<&>\"'", "{", "}", "é", "e\u{301}", "{ {", "tail", "}}", "\n\n"]

    /// Text, tags and sections with the whitespace and line breaks that decide what a
    /// standalone tag is; sections are balanced, so most templates parse.
    static func template(_ r: inout Random, depth: Int = 0) -> String {
        var out = ""
        for _ in 0..<(1 + r.int(6)) {
            switch r.int(12) {
            case 0, 1, 2: out += r.pick(texts)
            case 3: out += "{{" + r.pick(names) + "}}"
            case 4: out += "{{{" + r.pick(names) + "}}}"
            case 5: out += "{{& " + r.pick(names) + " }}"
            case 6, 7 where depth < 3:
                let name = r.pick(["a", "b", "list", "flag", "n", "list", "first()", "last()", "index()", "even()", "odd()", "."])
                let open = r.pick(["#", "^"])
                let pad = r.pick(["", "\n", "  ", "\n  "])
                out += pad + "{{" + open + name + "}}" + r.pick(["", "\n", " \n", "x"]) + template(&r, depth: depth + 1)
                    + r.pick(["", "\n", "  "]) + "{{/" + name + "}}" + r.pick(["", "\n", " ", "\r\n"])
            case 8: out += r.pick(["", "  ", "\n"]) + "{{! a comment }}" + r.pick(["", "\n", " x"])
            case 9: out += r.pick(["", "\n"]) + "{{% CONTENT_TYPE: " + r.pick(["TEXT", "HTML"]) + "}}" + r.pick(["", "\n"])
            case 10: out += "{{index()}}" + r.pick(["", "{{^last()}},{{/last()}}"])
            default: out += r.pick(["\n", "x\n", "  \n"])
            }
        }
        return out
    }

    static func value(_ r: inout Random, depth: Int = 0) -> TemplateValue {
        switch r.int(depth > 2 ? 3 : 6) {
        case 0: return .string(r.pick(["", "plain", "<b>&'\"", "é", "line\nbreak"]))
        case 1: return .bool(r.int(2) == 0)
        case 2: return .int(r.int(100) - 50)
        case 3, 4:
            return .list((0..<r.int(4)).map { _ in value(&r, depth: depth + 1) })
        default:
            var pairs: [(String, TemplateValue)] = []
            for name in ["a", "b", "list", "flag", "n"] where r.int(3) != 0 { pairs.append((name, value(&r, depth: depth + 1))) }
            // Objects in one list differ in which members they have and in their order.
            if r.int(2) == 0 { pairs.reverse() }
            return .object(pairs)
        }
    }

    /// Lookups up the context stack, over list items of different shapes (one misses a
    /// member, one has it in another order, one is not an object), against a written answer.
    @Test("a tag finds its member in objects of one list that differ in members and order")
    func memberLookups() throws {
        let text = "{{#items}}{{b}}{{a}}{{x}}{{.a}};{{/items}}"
        let compiled = try #require(CompiledTemplate(text))
        let items: [TemplateValue] = [
            .object([("a", .int(1)), ("b", .int(2))]),
            .object([("b", .int(3)), ("a", .int(4))]),
            .object([("b", .int(5))]),
            .object([("x", .string("in")), ("c", .int(0)), ("a", .int(6))]),
            .string("s"),
            .object([("a", .int(7)), ("b", .int(8))]),
        ]
        let root = TemplateValue.object([("x", .string("out")), ("items", .list(items))])
        let expected = "21out1;34out4;5out;6in6;out;87out7;"
        #expect(compiled.render(root) == expected)
        #expect(TemplateSet.mustacheRendering(text, root) == expected)
    }

    @Test("random templates and views render the same through either renderer")
    func randomTemplates() throws {
        var r = Random(state: 20_261_122)
        var compared = 0
        for _ in 0..<4_000 {
            let text = Self.template(&r)
            var root = Self.value(&r)
            if case .object = root {} else { root = .object([("a", root), ("list", .list([Self.value(&r), Self.value(&r)]))]) }
            guard let compiled = CompiledTemplate(text) else {
                continue
            }
            // What keyway's renderer reads, swift-mustache must read too.
            let expected = try #require(TemplateSet.mustacheRendering(text, root), "\(text.debugDescription)")
            let actual = compiled.render(root)
            // A dictionary's description (an object rendered as a variable) lists its keys in
            // an order that changes with each dictionary: such output is not compared.
            if expected != actual, expected.contains("\": ") || expected.contains("&quot;: ") { continue }
            #expect(actual == expected, "template \(text.debugDescription) with \(root.any)")
            compared += 1
        }
        #expect(compared > 2_000)
    }
}
