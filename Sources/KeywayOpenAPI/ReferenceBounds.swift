import KeywayLoad
import KeywayModel
import OpenAPIKit

/// What the document's local `$ref`s make of it, worked out on the parsed tree before
/// OpenAPIKit sees it: OpenAPIKit follows references by recursion (a 1,000-link chain
/// overflowed its stack), stops at a cycle only once it has walked into it, and inlines
/// every reference (a schema that refers twice to one that refers twice to … doubles at
/// each link). In time linear in the document, over the graph of components:
/// - the operations whose parameters or request body reach a `$ref` cycle, which
///   OpenAPIKit cannot resolve: keyway marks them without walking into the cycle;
/// - for every other operation, the exact depth and node count its parameters and body
///   unfold to; a document past the limits is refused at the reference that leads there.
struct ReferenceBounds {
    /// Nesting, counted through references. Real documents stay far below (Stripe's,
    /// GitHub's, OpenAI's, Box's unfold to 55 levels or less).
    static let maximumDepth = 256
    /// Nodes the parameters and request body of one operation unfold to (Datadog's
    /// largest: about 100,000).
    static let maximumNodes = 2_000_000

    /// Operations ("METHOD path", method upper case) whose parameters or request body reach
    /// a `$ref` cycle, with the reference of a component in the cycle.
    var cyclic: [String: String] = [:]

    /// What one component or operation holds itself, and where it refers to.
    private struct Part {
        var nodes = 0
        var depth = 0
        /// Targets (component keys) with the depth of the reference and its location.
        var references: [(target: String, depth: Int, location: SourceLocation)] = []
    }

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func check(_ root: YAMLNode) -> Result<ReferenceBounds, Diagnostic> {
        guard case .mapping(let top) = root.value else { return .success(ReferenceBounds()) }
        // The components, by "kind/name" as a local reference spells them after "#/components/".
        var keys: [String] = []
        var parts: [Part] = []
        var index: [String: Int] = [:]
        if let components = top.first(where: { $0.key == "components" }), case .mapping(let kinds) = components.value.value {
            for kind in kinds {
                guard case .mapping(let entries) = kind.value.value else { continue }
                for entry in entries {
                    let key = kind.key + "/" + entry.key
                    if index[key] == nil {
                        index[key] = parts.count
                        keys.append(key)
                        parts.append(part(of: [entry.value]))
                    }
                }
            }
        }
        let unfolded = unfold(parts, index)
        var bounds = ReferenceBounds()
        guard let paths = top.first(where: { $0.key == "paths" }), case .mapping(let items) = paths.value.value else { return .success(bounds) }
        for item in items {
            guard case .mapping(let fields) = item.value.value else { continue }
            func field(_ pairs: [YAMLPair], _ name: String) -> YAMLNode? { pairs.first { $0.key == name }?.value }
            // What keyway resolves of each operation: the path item's and its own
            // parameters, and its request body (a path item that is a $ref: all of it).
            var operations: [(method: String, nodes: [YAMLNode])] = []
            if field(fields, "$ref") != nil {
                operations = methods.map { ($0.uppercased(), [item.value]) }
            } else {
                let shared = field(fields, "parameters").map { [$0] } ?? []
                for method in methods {
                    guard let operation = field(fields, method), case .mapping(let own) = operation.value else { continue }
                    operations.append((method.uppercased(), shared + ["parameters", "requestBody"].compactMap { field(own, $0) }))
                }
            }
            for (method, nodes) in operations {
                let own = part(of: nodes)
                var depth = own.depth, count = own.nodes
                for reference in own.references {
                    guard let target = index[reference.target] else { continue }
                    if let cycle = unfolded[target].cycle {
                        // The path as OpenAPIKit spells it, which `ProviderAPI.operations` looks up.
                        bounds.cyclic[method + " " + OpenAPIKit.OpenAPI.Path(rawValue: item.key).rawValue] = "#/components/" + keys[cycle]
                        break
                    }
                    depth = max(depth, saturated(reference.depth, unfolded[target].depth))
                    count = saturated(count, unfolded[target].nodes)
                    if depth > maximumDepth {
                        return .failure(.error(reference.location, "the references here unfold \(method) \(item.key.forDiagnostic) deeper than \(maximumDepth) levels; keyway reads documents whose references unfold less deep"))
                    }
                    if count > maximumNodes {
                        return .failure(.error(reference.location, "the references here unfold \(method) \(item.key.forDiagnostic) to more than \(maximumNodes) nodes (each reference counts what it repeats); keyway reads documents whose references unfold to less"))
                    }
                }
            }
        }
        return .success(bounds)
    }

    /// A node's own count, depth and local references, walked without recursion.
    private static func part(of nodes: [YAMLNode]) -> Part {
        var part = Part()
        var pending: [(node: YAMLNode, depth: Int)] = nodes.map { ($0, 1) }
        while let (node, depth) = pending.popLast() {
            part.nodes += 1
            part.depth = max(part.depth, depth)
            switch node.value {
            case .scalar: break
            case .sequence(let items): pending += items.map { ($0, depth + 1) }
            case .mapping(let pairs):
                for pair in pairs {
                    if pair.key == "$ref", case .scalar(let s) = pair.value.value, s.text.hasPrefix("#/components/") {
                        // kind/name: the pointer's first two segments (a name's own "/" is written ~1).
                        let segments = s.text.dropFirst("#/components/".count).split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
                        if segments.count >= 2 {
                            func unescaped(_ segment: Substring) -> String {
                                segment.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                            }
                            part.references.append((unescaped(segments[0]) + "/" + unescaped(segments[1]), depth, pair.value.location))
                        }
                    }
                    pending.append((pair.value, depth + 1))
                }
            }
        }
        return part
    }

    /// Each component unfolded: the component of a cycle it reaches, if any, else its exact
    /// depth and node count. Over the graph's strongly connected components (Tarjan's,
    /// iteratively), each found after every one it reaches.
    private static func unfold(_ parts: [Part], _ index: [String: Int]) -> [(cycle: Int?, depth: Int, nodes: Int)] {
        let count = parts.count
        let edges: [[Int]] = parts.map { $0.references.compactMap { index[$0.target] } }
        var order = [Int](repeating: -1, count: count), low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var result = [(cycle: Int?, depth: Int, nodes: Int)](repeating: (nil, 0, 0), count: count)
        var counter = 0
        for start in 0..<count where order[start] < 0 {
            var frames: [(node: Int, edge: Int)] = [(start, 0)]
            order[start] = counter; low[start] = counter; counter += 1
            stack.append(start); onStack[start] = true
            while let (node, edge) = frames.last {
                if edge < edges[node].count {
                    frames[frames.count - 1].edge += 1
                    let next = edges[node][edge]
                    if order[next] < 0 {
                        order[next] = counter; low[next] = counter; counter += 1
                        stack.append(next); onStack[next] = true
                        frames.append((next, 0))
                    } else if onStack[next] {
                        low[node] = min(low[node], order[next])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last?.node { low[parent] = min(low[parent], low[node]) }
                guard low[node] == order[node] else { continue }
                var group: [Int] = []
                while let top = stack.popLast() {
                    onStack[top] = false
                    group.append(top)
                    if top == node { break }
                }
                if group.count > 1 || edges[node].contains(node) {
                    for member in group { result[member].cycle = node }
                    continue
                }
                // No cycle here: exact, from what it refers to (all unfolded already).
                let part = parts[node]
                var unfolded: (cycle: Int?, depth: Int, nodes: Int) = (nil, part.depth, part.nodes)
                for reference in part.references {
                    guard let target = index[reference.target] else { continue }
                    if let cycle = result[target].cycle {
                        unfolded.cycle = cycle
                        break
                    }
                    unfolded.depth = max(unfolded.depth, saturated(reference.depth, result[target].depth))
                    unfolded.nodes = saturated(unfolded.nodes, result[target].nodes)
                }
                result[node] = unfolded
            }
        }
        return result
    }

    /// `a + b`, held at a quarter of `Int.max`: a reference bomb's count only has to stay
    /// over the limit, never wrap around under it.
    private static func saturated(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max / 4 : min(sum, Int.max / 4)
    }
}
