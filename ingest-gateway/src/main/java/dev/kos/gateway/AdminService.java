package dev.kos.gateway;

import dev.kos.membership.IllegalNodeTransitionException;
import dev.kos.membership.MembershipChange;
import dev.kos.membership.NodeRepository;
import dev.kos.membership.NodeStatus;
import dev.kos.membership.StorageNode;
import dev.kos.membership.UnknownNodeException;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.logging.Logger;

/**
 * Operator actions on storage nodes: GET /admin/nodes, POST /admin/nodes/{id}/drain and
 * /remove. Each action commits with its membership events (NodeRepository), and every
 * gateway's registry picks the new ring up on its next poll. No authentication of its own:
 * expose /admin only on an operators' network.
 */
public final class AdminService implements HttpService {
    private static final Logger LOG = Logger.getLogger(AdminService.class.getName());
    private final NodeRepository nodes;

    public AdminService(NodeRepository nodes) {
        this.nodes = nodes;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/nodes", this::list)
                .post("/nodes/{id}/drain", (req, res) -> act(req, res, NodeStatus.DRAINING, NodeRepository::drain))
                .post("/nodes/{id}/remove", (req, res) -> act(req, res, NodeStatus.REMOVED, NodeRepository::remove));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("nodes", nodes.list().stream().map(AdminService::json).toList());
        FilesService.sendJson(res, body);
    }

    private void act(ServerRequest req, ServerResponse res, NodeStatus target,
                     BiFunction<NodeRepository, String, Optional<MembershipChange>> action) {
        String id = req.path().pathParameters().get("id");
        Optional<MembershipChange> change;
        try {
            change = action.apply(nodes, id);
        } catch (UnknownNodeException e) {
            throw ApiException.notFound("node_not_found", "no storage node " + id);
        } catch (IllegalNodeTransitionException e) {
            throw new ApiException(Status.CONFLICT_409, "illegal_node_transition", e.getMessage());
        }
        change.ifPresent(c -> LOG.info(() -> "operator: " + c));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node_id", id);
        body.put("status", target.sql());
        // Repeating an action is harmless: it reports that nothing changed.
        body.put("changed", change.isPresent());
        body.put("ring_epoch", change.map(MembershipChange::epoch).orElse(null));
        FilesService.sendJson(res, body);
    }

    private static Map<String, Object> json(StorageNode n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", n.nodeId());
        m.put("address", n.address());
        m.put("status", n.status().sql());
        m.put("capacity_bytes", n.capacityBytes());
        m.put("free_bytes", n.freeBytes());
        m.put("chunk_count", n.chunkCount());
        m.put("virtual_nodes", n.virtualNodes());
        m.put("registered_at", n.registeredAt().toString());
        m.put("last_heartbeat", n.lastHeartbeat() == null ? null : n.lastHeartbeat().toString());
        m.put("status_changed_at", n.statusChangedAt() == null ? null : n.statusChangedAt().toString());
        return m;
    }
}
