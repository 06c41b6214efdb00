import Foundation
import KeywayCore
@testable import KeywayEmit
import KeywayModel
import Mustache
import Testing

/// keyway renders its templates with one engine of its own (`Template`). These tests hold
/// it to swift-mustache, the reference implementation of Mustache in Swift (a test-only
/// dependency), byte for byte: on the views of real, hostile and prototype catalogs, and on
/// thousands of random templates and views; and they check the engine's own promises:
/// errors at positions, bounded nesting, views as their declarations say.
@Suite("Template engine: the same bytes as swift-mustache, errors at their positions")
struct TemplateEngineTests {
    static func catalog(_ folder: String) throws -> Catalog {
        try #require(Pipeline.validate(manifests: folder).catalog)
    }

    /// What swift-mustache renders of `text` with `value`; nil when it does not parse.
    static func mustache(_ text: String, _ value: TemplateValue) -> String? {
        (try? MustacheTemplate(string: text))?.render(Self.mustacheValue(value))
    }

    /// A value as swift-mustache reads it: objects look their members up in order, and
    /// objects and lists render as nothing in a variable tag, as keyway's engine renders
    /// them (swift-mustache would print a description whose key order changes from run to run).
    static func mustacheValue(_ value: TemplateValue) -> Any {
        switch value {
        case .string(let s): s
        case .bool(let b): b
        case .int(let i): i
        case .list(let items): MustacheList(items: items.map(mustacheValue))
        case .object(let pairs): MustacheObject(pairs: pairs.map { ($0.0, mustacheValue($0.1)) })
        }
    }

    struct MustacheObject: MustacheParent, MustacheCustomRenderable {
        var pairs: [(String, Any)]
        func child(named name: String) -> Any? { pairs.first { $0.0 == name }?.1 }
        var renderText: String { "" }
        var isNull: Bool { false }
    }

    struct MustacheList: MustacheSequence, MustacheCustomRenderable {
        var items: [Any]
        func makeIterator() -> IndexingIterator<[Any]> { items.makeIterator() }
        var renderText: String { "" }
        var isNull: Bool { false }
    }

    @Test("every built-in template parses, and names only what its view has")
    func builtIns() throws {
        #expect(Set(Emitters.templateViews.keys) == Set(Pipeline.defaultTemplates.keys))
        for (name, text) in Pipeline.defaultTemplates {
            let template = try Template(text)
            let prototype = try #require(Emitters.templateViews[name])
            let known = TemplateValueEncoder.value(of: prototype).names.union(TemplateSet.positionNames)
            #expect(template.uses.filter { !known.contains($0.name) }.map(\.name) == [], "\(name)")
            #expect(!template.uses.isEmpty, "\(name)")
            #expect(Self.mustache(text, .object([])) != nil, "\(name)")
        }
    }

    /// Every view an emitter renders for a catalog, by template name.
    static func views(_ catalog: Catalog) -> [(template: String, view: any TemplateView)] {
        let audit = ScopeAudit(catalog), index = CatalogIndex(catalog)
        var views: [(String, any TemplateView)] = catalog.connectors.map { (ToolsEmitter.template, ToolsEmitter.view($0)) }
        views += [(CatalogEmitter.swiftTemplate, CatalogEmitter.View(catalog, style: .swift)), (CatalogEmitter.jsonTemplate, CatalogEmitter.View(catalog, style: .json)),
                  (ScopesReportEmitter.template, ScopesReportEmitter.view(audit))]
        views += zip(catalog.integrations, audit.integrations).map { (ChecklistEmitter.template, ChecklistEmitter.view($0, index, $1)) }
        return views + Emitters.templateViews.map { ($0.key, $0.value) }
    }

    @Test("every view of real and hostile manifests renders as swift-mustache renders it", arguments: ["Manifests", "Tests/Fixtures/HostileManifests"])
    func sameAsMustache(_ folder: String) throws {
        let catalog = try Self.catalog(packageRoot.appendingPathComponent(folder).path)
        for (name, view) in Self.views(catalog) {
            let text = try #require(Pipeline.defaultTemplates[name])
            let value = TemplateValueEncoder.value(of: view)
            #expect(try Template(text).render(value) == Self.mustache(text, value), "\(name)")
        }
    }

    @Test("views become the values their declarations say: every property, in order, absent optionals left out")
    func viewsMatchReflection() throws {
        let catalog = try Self.catalog(packageRoot.appendingPathComponent("Manifests").path)
        for (name, view) in Self.views(catalog) + Self.views(.prototype) {
            #expect(TemplateValueEncoder.value(of: view) == Self.reflected(view), "\(name): \(type(of: view))")
        }
        // Every optional of a prototype is set, so that a template override may name it.
        for (name, prototype) in Emitters.templateViews {
            #expect(TemplateValueEncoder.value(of: prototype).names == Self.labels(prototype), "\(name)")
        }
    }

    /// The view by reflection, members in declaration order, absent optionals left out.
    static func reflected(_ value: Any) -> TemplateValue {
        let mirror = Mirror(reflecting: value)
        switch (value, mirror.displayStyle) {
        case (let s as String, _): return .string(s)
        case (let b as Bool, _): return .bool(b)
        case (let i as Int, _): return .int(i)
        case (_, .collection?): return .list(mirror.children.map { reflected($0.value) })
        default:
            return .object(mirror.children.compactMap { child in
                guard let label = child.label else { return nil }
                let inner = Mirror(reflecting: child.value)
                if inner.displayStyle == .optional {
                    return inner.children.first.map { (label, reflected($0.value)) }
                }
                return (label, reflected(child.value))
            })
        }
    }

    /// Every stored property's name in a view, optionals included, at every depth.
    static func labels(_ value: Any) -> Set<String> {
        var names: Set<String> = []
        var stack: [Any] = [value]
        while let next = stack.popLast() {
            for child in Mirror(reflecting: next).children {
                if let label = child.label { names.insert(label) }
                stack.append(child.value)
            }
        }
        return names.filter { !$0.hasPrefix("some") && !$0.isEmpty }
    }

    @Test("a template that does not parse is one error at its line and column, with what to do", arguments: [
        ("ok\n  {{#a}}x", "1:1: error", "2:3: error: template does not parse: section 'a' is never closed; add {{/a}}"),
        ("{{#a}}{{/b}}", "", "1:7: error: template does not parse: '{{/b}}' does not close the open section 'a'; close sections in the reverse order of opening"),
        ("x {{/a}}", "", "1:3: error: template does not parse: '{{/a}}' closes no open section; remove it"),
        ("é\u{301} {{> partial}}", "", "1:4: error: template does not parse: partials ('{{>'), blocks ('{{$', '{{<') and delimiter changes ('{{=') are not part of keyway's templates; write the text out instead"),
        ("{{=<% %>=}}", "", "1:1: error: template does not parse: partials ('{{>'), blocks ('{{$', '{{<') and delimiter changes ('{{=') are not part of keyway's templates; write the text out instead"),
        ("a\r\n{{name", "", "2:1: error: template does not parse: this tag is never closed; end it with '}}'"),
        ("{{upper(name)}}", "", "1:1: error: template does not parse: 'upper(name)' is not a function keyway's templates have; use first(), last(), index(), even() or odd()"),
        ("{{#items}}{{size()}}{{/items}}", "", "1:11: error: template does not parse: 'size()' is not a function keyway's templates have; use first(), last(), index(), even() or odd()"),
        ("{{{name}}", "", "1:1: error: template does not parse: '{{{' must be closed by '}}}'"),
        ("{{% CONTENT_TYPE: XML}}", "", "1:1: error: template does not parse: the one pragma of keyway's templates is {{% CONTENT_TYPE: TEXT}} (or HTML); fix or remove this one"),
        ("{{! never closed", "", "1:1: error: template does not parse: this comment is never closed; end it with '}}'"),
        ("{{na me}}", "", "1:1: error: template does not parse: a tag names a value by letters, digits and '.', '-', '_' (or is first(), last(), index(), even(), odd()); fix this one"),
    ])
    func parseErrors(_ text: String, _ unused: String, _ expected: String) throws {
        let set = TemplateSet(sources: [.init(name: "scopes.md.mustache", path: "T/scopes.md.mustache", text: text)])
        #expect(throws: DiagnosticsError.self) { try set.renderer("scopes.md.mustache", prototype: ScopesReportEmitter.view(ScopeAudit(.prototype))) }
        do {
            _ = try set.renderer("scopes.md.mustache", prototype: ScopesReportEmitter.view(ScopeAudit(.prototype)))
        } catch {
            #expect(error.diagnostics.map(\.formatted) == ["T/scopes.md.mustache:" + expected])
        }
    }

    @Test("sections nest at most 64 deep: a template nested deeper is an error at the section that crosses the limit, in time linear in its length")
    func nestingLimit() throws {
        func nested(_ depth: Int) -> String { String(repeating: "{{#a}}", count: depth) + "x" + String(repeating: "{{/a}}", count: depth) }
        let value = TemplateValue.object([("a", .bool(true))])
        #expect(try Template(nested(64)).render(value) == "x")
        for depth in [65, 1_000, 100_000] {
            do {
                _ = try Template(nested(depth))
                Issue.record("depth \(depth) parsed")
            } catch {
                #expect(error.offset == 64 * 6 && error.message == "sections nest deeper than 64 levels here; flatten the template")
            }
        }
    }

    @Test("a template override nested 1,000 deep: validate, generate and check each refuse it at the same position, and write nothing")
    func deepOverrideEveryCommand() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Manifests").path, toPath: dir.path + "/Manifests")
        dir.write("T/scopes.md.mustache", String(repeating: "{{#rows}}", count: 1_000) + "x" + String(repeating: "{{/rows}}", count: 1_000))
        let before = dir.snapshot()
        for command in ["validate", "generate", "check"] {
            let run = try KeywayRun.run([command, "--templates", "T"], in: dir.url)
            #expect(run.status == 1 && run.stdout == "", "\(command)")
            #expect(run.stderr == "T/scopes.md.mustache:1:577: error: template does not parse: sections nest deeper than 64 levels here; flatten the template\n1 error, 0 warnings\n", "\(command)")
        }
        #expect(dir.snapshot() == before)
    }

    @Test("unknown names of an override are errors at their tags, each with the names the view has")
    func unknownNames() throws {
        let text = "{{#rows}}\n{{scope}} {{levle}}\n{{/rows}}{{first}}{{x.y}}"
        let set = TemplateSet(sources: [.init(name: "scopes.md.mustache", path: "T/scopes.md.mustache", text: text)])
        let prototype = ScopesReportEmitter.view(ScopeAudit(.prototype))
        let names = TemplateValueEncoder.value(of: prototype).names.union(TemplateSet.positionNames).sorted().joined(separator: ", ")
        do {
            _ = try set.renderer("scopes.md.mustache", prototype: prototype)
            Issue.record("unknown names were accepted")
        } catch {
            #expect(error.diagnostics.map(\.formatted) == [
                "T/scopes.md.mustache:2:11: error: template uses 'levle', which its view does not have; use one of: \(names)",
                "T/scopes.md.mustache:3:19: error: template uses 'x', which its view does not have; use one of: \(names)",
                "T/scopes.md.mustache:3:19: error: template uses 'y', which its view does not have; use one of: \(names)",
            ])
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
            case 6 where depth < 3, 7 where depth < 3:
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
        let compiled = try Template(text)
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
        #expect(Self.mustache(text, root) == expected)
    }

    @Test("random templates and views render the same as swift-mustache renders them")
    func randomTemplates() throws {
        var r = Random(state: 20_261_122)
        var compared = 0
        for _ in 0..<4_000 {
            let text = Self.template(&r)
            var root = Self.value(&r)
            if case .object = root {} else { root = .object([("a", root), ("list", .list([Self.value(&r), Self.value(&r)]))]) }
            // What keyway's engine reads, swift-mustache must read too, and render alike.
            guard let compiled = try? Template(text) else {
                #expect(Self.mustache(text, root) == nil || text.hasSuffix("{"), "keyway refused \(text.debugDescription)")
                continue
            }
            // swift-mustache refuses a template that ends in a lone '{'; Mustache reads it
            // as text, and so does keyway.
            guard let expected = Self.mustache(text, root) else {
                #expect(text.hasSuffix("{") && compiled.render(root).hasSuffix("{"), "swift-mustache refused \(text.debugDescription)")
                continue
            }
            #expect(compiled.render(root) == expected, "template \(text.debugDescription) with \(root)")
            compared += 1
        }
        #expect(compared > 2_000)
    }
}
