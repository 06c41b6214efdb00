import Foundation
import KeywayCore
import KeywayEmit
@testable import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

@Suite("Loading: positions and hostile YAML")
struct LoadingTests {
    @Test("every node keeps its file, line and column")
    func positions() throws {
        let dir = Fixture.folder()
        let result = ManifestLoader().load(folder: dir.path)
        #expect(result.diagnostics.isEmpty)
        let doc = try #require(result.documents.first { $0.relativePath == "integrations/mail.yaml" })
        #expect(doc.displayPath == dir.path + "/integrations/mail.yaml")
        guard case .mapping(let pairs) = doc.root.value else { Issue.record("root is not a mapping"); return }
        let auth = try #require(pairs.first { $0.key == "auth" })
        #expect((auth.keyLocation.line, auth.keyLocation.column) == (6, 1))
        guard case .mapping(let authPairs) = auth.value.value else { Issue.record("auth is not a mapping"); return }
        let scopes = try #require(authPairs.first { $0.key == "scopes" })
        #expect((scopes.keyLocation.line, scopes.keyLocation.column) == (10, 3))
        guard case .sequence(let items) = scopes.value.value, case .mapping(let grant) = items[0].value else { Issue.record("scopes"); return }
        #expect((grant[1].keyLocation.line, grant[1].keyLocation.column) == (12, 7))
        #expect((grant[1].value.location.line, grant[1].value.location.column) == (12, 15))
    }

    @Test("the display path is the folder as given, joined with the path inside it")
    func displayPath() {
        let dir = Fixture.folder(integration: Fixture.integration.replacing1("name: Mail", "nmae: Mail"))
        let relative = dir.path + "/./"
        let diagnostics = dir.validate(suffix: "/./").diagnostics
        #expect(diagnostics.map(\.formatted) == [
            "\(relative)integrations/mail.yaml:1:1: error: the integration is missing the required key 'name'",
            "\(relative)integrations/mail.yaml:3:1: error: unknown key 'nmae'; did you mean 'name'?",
        ])
    }

    @Test("duplicate keys are errors at the second occurrence")
    func duplicateKeys() {
        let dir = Fixture.folder(integration: Fixture.integration.replacing1("category: email\n", "category: email\ncategory: crm\n"))
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == [
            "integrations/mail.yaml:5:1: error: duplicate key 'category' (first at line 4); a YAML parser may silently keep either one — remove one",
        ])
    }

    @Test("a billion-laughs document is refused at the alias that crosses the limit")
    func billionLaughs() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
            previous = name
        }
        let diagnostics = Fixture.diagnostics(Fixture.folder(integration: yaml))
        // Expansion stops at the first alias past the limit (line 6, level f: 9^6 > 100,000
        // nodes), not after building the 9^9 the file describes: the work is bounded.
        // Only the file's error: the connector that names it is not also told the file is missing.
        #expect(diagnostics.map { "\($0.position): \($0.message)" } == [
            "integrations/mail.yaml:6:8: error: the document expands to more than 100000 nodes (aliases counted as many times as they are used); split the file, or write the values out instead of nesting aliases",
        ])
    }

    @Test("a document of more nodes than the limit and no alias is told to split, not to write aliases out")
    func tooManyNodes() {
        // The root mapping, two keys, one value and the list: the list's 99,996th item is
        // node 100,001.
        let yaml = "key: mail\nlist:\n" + String(repeating: "  - a\n", count: 100_000)
        let diagnostics = Fixture.diagnostics(Fixture.folder(integration: yaml))
        #expect(diagnostics.map { "\($0.position): \($0.message)" } == [
            "integrations/mail.yaml:99998:5: error: the document has more than 100000 nodes, keyway's limit for one file; split it",
        ])
    }

    @Test("aliased mapping keys cannot blow up duplicate detection")
    func aliasedKeys() {
        let yaml = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc:\n  ? *b\n  : 1\n"
        let d = Fixture.diagnostics(Fixture.folder(integration: yaml))
        #expect(d.map(\.formatted) == ["integrations/mail.yaml:4:5: error: a mapping key must be a plain string, not a list, mapping or alias"])
    }

    @Test("a reasonable use of aliases is accepted")
    func aliasesAllowed() {
        let yaml = Fixture.integration.replacing1("name: Mail", "name: &n Mail").replacing1("description: Send and read emails", "description: *n")
        let d = Fixture.diagnostics(Fixture.folder(integration: yaml))
        #expect(!d.hasErrors)
    }

    @Test("a manifest over 1 MiB is refused before parsing")
    func hugeFile() {
        let dir = Fixture.folder()
        dir.write("integrations/huge.yaml", "description: " + String(repeating: "a", count: ManifestLoader.maxFileSize) + "\n")
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == [
            "integrations/huge.yaml:1:1: error: the manifest is larger than 1 MiB, keyway's limit for one manifest file; split it (a manifest describes one integration, connector or provider) or shorten its longest values (each is at most 64 KiB)",
        ])
    }

    @Test("a file that is not UTF-8 is an error at the first bad byte")
    func notUTF8() {
        let dir = Fixture.folder()
        dir.write("integrations/latin1.yaml", Data("key: mail\nname: Caf".utf8) + Data([0xE9]) + Data("\n".utf8))
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == ["integrations/latin1.yaml:2:10: error: the file is not valid UTF-8 (byte 19); save it as UTF-8"])
    }

    @Test("a byte over 0x7F at any offset of a word is found, and its line and column")
    func nonASCIIAtEveryOffset() {
        // The ASCII check reads eight bytes at a time: a bad byte at each offset of the first
        // three words and in the tail, in files of every length around a word's.
        for length in 1...27 {
            let ascii = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            #expect(ManifestLoader.isASCII(ascii) && ManifestLoader.firstInvalidUTF8(ascii) == nil)
            for offset in 0..<length {
                var bad = ascii
                bad[offset] = 0xFF
                #expect(!ManifestLoader.isASCII(bad), "length \(length), offset \(offset)")
                #expect(ManifestLoader.firstInvalidUTF8(bad).map { [$0.line, $0.column, $0.offset] } == [1, offset + 1, offset], "length \(length), offset \(offset)")
                var good = ascii
                good[offset] = 0xC3
                if offset + 1 < length { good[offset + 1] = 0xA9 }
                #expect(!ManifestLoader.isASCII(good))
                #expect((ManifestLoader.firstInvalidUTF8(good) == nil) == (offset + 1 < length), "é at \(offset) of \(length)")
            }
        }
        #expect(ManifestLoader.isASCII([]) && ManifestLoader.firstInvalidUTF8([]) == nil)
    }

    @Test("UTF-16 and overlong encodings are not UTF-8")
    func invalidSequences() {
        #expect(ManifestLoader.firstInvalidUTF8([0xC0, 0x80]) != nil)
        #expect(ManifestLoader.firstInvalidUTF8([0xED, 0xA0, 0x80]) != nil)
        #expect(ManifestLoader.firstInvalidUTF8([0xFF, 0xFE, 0x6B, 0x00]) != nil)
        #expect(ManifestLoader.firstInvalidUTF8(Array("Café ✓ 🙂".utf8)) == nil)
    }

    @Test("control characters are refused with a position")
    func controlCharacters() {
        let dir = Fixture.folder(integration: Fixture.integration.replacing1("name: Mail", "name: Ma\u{7}il"))
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == [
            "integrations/mail.yaml:3:9: error: invalid character in YAML: control characters are not allowed; remove it, or write it as an escape inside double quotes",
        ])
    }

    @Test("syntax errors, deep nesting, tags, merge keys and several documents are positioned errors")
    func otherHostileShapes() {
        let cases: [(String, String, String)] = [
            ("- [a\n", "integrations/mail.yaml:2:1: error", "YAML syntax error"),
            (String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "\n", "integrations/mail.yaml:1:65: error", "nest deeper than 64"),
            ("key: !!binary aGVsbG8=\n", "integrations/mail.yaml:1:6: error", "tag 'tag:yaml.org,2002:binary' is not supported"),
            ("base: &b { name: x }\nother:\n  <<: *b\n", "integrations/mail.yaml:3:3: error", "merge keys"),
            ("key: a\n---\nkey: b\n", "integrations/mail.yaml:2:1: error", "one YAML document"),
            ("", "integrations/mail.yaml:1:1: error", "empty"),
            ("x: *nowhere\n", "integrations/mail.yaml:1:4: error", "unknown alias '*nowhere'"),
            ("name: \"a\\0b\"\n", "integrations/mail.yaml:1:7: error", "NUL characters are not allowed"),
            ("key: mail\nname: x\nbogus\n", "integrations/mail.yaml:3:1: error", "could not find expected ':'"),
            ("key: ééé\nb:\n\t- a\n", "integrations/mail.yaml:3:1: error", "a tab, and YAML indents with spaces only"),
        ]
        for (index, (yaml, position, message)) in cases.enumerated() {
            let d = Fixture.diagnostics(Fixture.folder(integration: yaml))
            #expect(d.contains { $0.position == position && $0.message.contains(message) }, "\(yaml.prefix(40)) → \(d.map(\.formatted))")
            Golden.expect(d.map { $0.formatted + "\n" }.joined(), matches: "loading/shape-\(index + 1)-\(Golden.fileName(message)).txt")
        }
    }

    @Test("after an unsupported tag or a duplicate key, the file's other errors are still reported")
    func recoverableYAMLProblems() {
        // The integration fixture with a tag, two duplicate keys and one rule error after them.
        let yaml = Fixture.integration
            .replacing1("name: Mail", "name: !!str Mail\ncategory: !custom x\nname: again")
            .replacing1("production: https://api", "production: http://api")
        let d = Fixture.diagnostics(Fixture.folder(integration: yaml))
        Golden.expect(d.map { $0.formatted + "\n" }.joined(), matches: "loading/recoverable-yaml-problems.txt")
        #expect(d.map(\.position) == [
            "integrations/mail.yaml:4:11: error", "integrations/mail.yaml:5:1: error", "integrations/mail.yaml:6:1: error", "integrations/mail.yaml:16:17: error",
        ], "got: \(d.map(\.formatted))")
    }

    @Test("a NUL in a value is reported with the file's other errors")
    func nulWithOtherErrors() {
        let yaml = Fixture.integration
            .replacing1("name: Mail", "name: \"Ma\\0il\"")
            .replacing1("production: https://api", "production: http://api")
        #expect(Fixture.diagnostics(Fixture.folder(integration: yaml)).map(\.formatted) == [
            "integrations/mail.yaml:3:7: error: NUL characters are not allowed in manifest values; remove the \\0 escape",
            "integrations/mail.yaml:14:17: error: production redirect URIs must use https (redirect_uris.production)",
        ])
    }

    @Test("a symlink to a device is not read")
    func symlinkToDevice() throws {
        let dir = Fixture.folder()
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/integrations/zero.yaml", withDestinationPath: "/dev/zero")
        let d = Fixture.diagnostics(dir)
        #expect(d.map(\.formatted) == ["integrations/zero.yaml:1:1: error: not a regular file; a manifest must be a plain YAML file"])
    }

    @Test("a symlink that loops or leads nowhere is an error that says so")
    func brokenSymlinks() throws {
        let dir = Fixture.folder()
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/connectors/loop.yaml", withDestinationPath: "loop.yaml")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/connectors/gone.yaml", withDestinationPath: "nothing.yaml")
        #expect(Fixture.diagnostics(dir).map(\.formatted) == [
            "connectors/gone.yaml:1:1: error: cannot read the file: it is a symbolic link to nothing; fix the link or remove it",
            "connectors/loop.yaml:1:1: error: cannot read the file (Too many levels of symbolic links); fix it, or its permissions",
        ])
    }

    @Test("a missing or empty manifests folder is an error")
    func missingFolder() {
        let dir = TempDir()
        #expect(dir.validate(suffix: "/nope").diagnostics.map(\.formatted) == [
            "\(dir.path)/nope:1:1: error: manifests folder not found; pass --manifests DIR or create \(dir.path)/nope/integrations",
        ])
        #expect(dir.validate().diagnostics.map(\.formatted) == [
            "\(dir.path):1:1: error: no manifests found; add YAML files under \(dir.path)/integrations and \(dir.path)/connectors",
        ])
    }

    @Test("a plain key (ASCII without K, ; and `) equals no string of other bytes, by Swift's own ==: lookups may compare lengths first")
    func plainKeys() {
        // Every scalar that Swift's == holds equal to an ASCII character, found by asking it.
        var equalToASCII: [String] = []
        for value in 0x80...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.properties.canonicalCombiningClass == .notReordered,
                  scalar.properties.generalCategory != .unassigned else { continue }
            let text = String(scalar)
            // Only a scalar whose canonical decomposition is all ASCII can equal ASCII.
            let decomposed = text.decomposedStringWithCanonicalMapping
            guard decomposed.utf8.allSatisfy({ $0 < 0x80 }) else { continue }
            if text == decomposed { equalToASCII.append(decomposed) }
        }
        #expect(equalToASCII.sorted() == [";", "K", "`"])
        #expect(!"K".equalsOnlyItsOwnBytes && !"a;b".equalsOnlyItsOwnBytes && !"`".equalsOnlyItsOwnBytes && !"é".equalsOnlyItsOwnBytes)
        #expect("min_length".equalsOnlyItsOwnBytes && "providerConfigkey".equalsOnlyItsOwnBytes && "".equalsOnlyItsOwnBytes)
        // The lookups: a plain key by length and ==; any other key by == alone.
        let pairs = [YAMLPair(key: "\u{212A}ind", keyLocation: .start(of: "f"), value: YAMLNode(.scalar(YAMLScalar(text: "1", style: .plain)), at: .start(of: "f")))]
        #expect(pairs.index(ofKey: "Kind") == 0)
        #expect(pairs.index(ofPlainKey: "kind") == nil)
    }
}
