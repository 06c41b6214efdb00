import KeywayCore
import KeywayModel
import KeywayFiles

/// The write step of every command that writes (`generate`, `migrate diff`, `init`): each
/// root planned (read only), then all committed as one change, or nothing at all when any
/// file is in the way. Files in the way are errors at their paths; files keyway no
/// longer generates but someone edited are warnings. The plans come back for the
/// command's summary, nil when nothing was written because of a conflict.
public func writeOutputs(_ roots: [OutputRoot], force: Bool, into diagnostics: Diagnostics) throws(WriteError) -> [OutputPlan]? {
    var plans: [(writer: OutputWriter, plan: OutputPlan)] = []
    for root in roots {
        let writer = root.writer
        plans.append((writer, try writer.plan(root.files, force: force)))
    }
    for (root, planned) in zip(roots, plans) {
        for conflict in planned.plan.conflicts {
            diagnostics.error(.start(of: root.display(conflict.path)), conflict.message + "; nothing was changed")
        }
    }
    guard plans.allSatisfy({ $0.plan.conflicts.isEmpty }) else { return nil }
    try OutputWriter.commit(plans)
    for (root, planned) in zip(roots, plans) {
        for path in planned.plan.released {
            diagnostics.warning(.start(of: root.display(path)), "keyway no longer generates this file, but it was edited since keyway wrote it: left in place, and no longer keyway's")
        }
    }
    return plans.map(\.plan)
}
