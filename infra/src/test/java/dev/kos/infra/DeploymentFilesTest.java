package dev.kos.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.cleanup.CleanupConfig;
import dev.kos.config.Settings;
import dev.kos.gateway.GatewayConfig;
import dev.kos.placement.PlacementConfig;
import dev.kos.storagenode.StorageNodeConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files agree with the code they deploy: every KOS_* variable they set is a
 * setting some service reads (a misspelt one would be ignored in silence), every value parses
 * through the service's own configuration, the ports they expose are the ones the services
 * listen on, and every service they start is one the image's launcher knows. For Kubernetes,
 * also what `kubectl apply` would not catch: Services and probes that name ports the pods do
 * not have, selectors that match no pod, a ConfigMap or image that is not there.
 * ComposeDeploymentTest runs compose.yaml for real; no Kubernetes can run here.
 */
class DeploymentFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path COMPOSE = ROOT.resolve("infra/compose/compose.yaml");
    private static final Path KUBERNETES = ROOT.resolve("infra/kubernetes");
    private static final Pattern LAUNCHER_CASE = Pattern.compile("(?m)^\\s+([a-z]+)\\)\\s+main=([\\w.]+)\\s*;;");
    private static final Pattern SETTING_KEY = Pattern.compile("\"([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+)\"");
    private static final Pattern K8S_VAR = Pattern.compile("\\$\\(([A-Z0-9_]+)\\)");

    // --- compose ----------------------------------------------------------------------------

    @Test
    void composeStartsOnlyServicesTheLauncherKnowsWithSettingsTheyRead() throws IOException {
        Map<String, Object> services = map(load(COMPOSE).getFirst().get("services"));
        Map<String, String> launcher = launcherServices();
        Set<String> known = knownSettingVariables();
        Set<String> started = new TreeSet<>();
        for (var e : services.entrySet()) {
            Map<String, Object> service = map(e.getValue());
            if (!String.valueOf(service.get("image")).contains("KOS_IMAGE")) {
                continue; // PostgreSQL and Kafka
            }
            String command = list(service.get("command")).getFirst().toString();
            assertTrue(launcher.containsKey(command), e.getKey() + " runs '" + command + "', which kos-service does not know");
            started.add(command);
            for (String name : env(service).keySet()) {
                assertTrue(!name.startsWith("KOS_") || known.contains(name),
                        e.getKey() + " sets " + name + ", which no kos setting reads");
            }
        }
        assertEquals(Set.of("cleanup", "gateway", "node", "placement"), started);
    }

    @Test
    void composeNodesAdvertiseTheirOwnServiceAndPortAndTheGatewayPublishesItsPort() throws IOException {
        Map<String, Object> services = map(load(COMPOSE).getFirst().get("services"));
        Set<String> ids = new HashSet<>();
        int nodes = 0;
        for (var e : services.entrySet()) {
            Map<String, Object> service = map(e.getValue());
            if (service.get("command") == null) {
                continue;
            }
            Settings settings = Settings.of(new String[0], env(service));
            switch (list(service.get("command")).getFirst().toString()) {
                case "node" -> {
                    nodes++;
                    StorageNodeConfig node = StorageNodeConfig.fromSettings(settings);
                    assertEquals(e.getKey() + ":" + node.port(), node.advertisedAddress(), e.getKey());
                    assertTrue(ids.add(node.nodeId()), "two nodes are " + node.nodeId());
                    assertNotNull(settings.optional("db.url").orElse(null), e.getKey() + " has no db.url: it would join no ring");
                }
                case "gateway" -> {
                    int port = GatewayConfig.from(settings).port();
                    assertTrue(list(service.get("ports")).stream().anyMatch(p -> p.toString().endsWith(":" + port)),
                            "the gateway listens on " + port + " but publishes " + service.get("ports"));
                }
                case "placement" -> PlacementConfig.fromSettings(settings);
                case "cleanup" -> CleanupConfig.fromSettings(settings);
                default -> throw new AssertionError("unexpected command in " + e.getKey());
            }
        }
        assertTrue(nodes >= 3, "compose runs " + nodes + " storage nodes");
    }

    @Test
    void composePrometheusScrapesEveryKosServiceOnItsMetricsPortUnderTheDashboardsJobNames() throws IOException {
        Map<String, Object> services = map(load(COMPOSE).getFirst().get("services"));
        Set<String> want = new TreeSet<>();
        for (var e : services.entrySet()) {
            Map<String, Object> service = map(e.getValue());
            if (service.get("command") == null) {
                continue;
            }
            Settings settings = Settings.of(new String[0], env(service));
            int metricsPort = switch (list(service.get("command")).getFirst().toString()) {
                case "node" -> StorageNodeConfig.metricsPort(settings);
                case "gateway" -> GatewayConfig.from(settings).port();
                case "placement" -> PlacementConfig.fromSettings(settings).healthPort();
                case "cleanup" -> CleanupConfig.metricsPort(settings);
                default -> throw new AssertionError(e.getKey());
            };
            want.add(e.getKey() + ":" + metricsPort);
        }
        Map<String, Set<String>> scraped = scrapeTargets(ROOT.resolve("infra/compose/prometheus.yml"));
        Set<String> targets = new TreeSet<>();
        scraped.values().forEach(targets::addAll);
        assertEquals(want, targets);
        assertEquals(scrapeTargets(ROOT.resolve("infra/prometheus/prometheus.yml")).keySet(), scraped.keySet(),
                "compose's Prometheus and bin/start's name their jobs alike");
        Map<String, Object> monitoring = map(load(ROOT.resolve("infra/compose/monitoring.yaml")).getFirst().get("services"));
        assertTrue(list(map(monitoring.get("prometheus")).get("volumes")).stream()
                .anyMatch(v -> v.toString().startsWith("./prometheus.yml:/etc/prometheus/prometheus.yml")));
    }

    // --- Kubernetes -------------------------------------------------------------------------

    @Test
    void kustomizationListsEveryManifestAndNamesTheImageTheWorkloadsUse() throws IOException {
        Map<String, Object> kustomization = load(KUBERNETES.resolve("kustomization.yaml")).getFirst();
        Set<String> listed = new TreeSet<>();
        list(kustomization.get("resources")).forEach(r -> listed.add(r.toString()));
        Set<String> present = new TreeSet<>();
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                    .forEach(present::add);
        }
        assertEquals(present, listed);
        String image = map(list(kustomization.get("images")).getFirst()).get("name").toString();
        for (Map<String, Object> workload : workloads()) {
            for (Object c : list(podSpec(workload).get("containers"))) {
                assertEquals(image, map(c).get("image"), name(workload) + " uses an image the kustomization does not set");
            }
        }
    }

    @Test
    void kubernetesWorkloadsRunKnownServicesWithSettingsTheyReadOnThePortsTheyDeclare() throws IOException {
        Map<String, String> launcher = launcherServices();
        Set<String> known = knownSettingVariables();
        Map<String, String> config = configMap("kos-config");
        Set<String> started = new TreeSet<>();
        for (Map<String, Object> workload : workloads()) {
            Map<String, Object> container = map(list(podSpec(workload).get("containers")).getFirst());
            String service = list(container.get("args")).getFirst().toString();
            assertTrue(launcher.containsKey(service), name(workload) + " runs '" + service + "', which kos-service does not know");
            started.add(service);
            for (Object from : list(container.get("envFrom"))) {
                String ref = map(map(from).get("configMapRef")).get("name").toString();
                assertEquals("kos-config", ref, name(workload) + " reads a ConfigMap no manifest defines");
            }
            Map<String, String> env = new LinkedHashMap<>(config);
            env.putAll(containerEnv(container, name(workload) + "-0"));
            for (String n : env.keySet()) {
                assertTrue(!n.startsWith("KOS_") || known.contains(n), name(workload) + " sets " + n + ", which no kos setting reads");
            }
            Map<String, Integer> ports = new HashMap<>();
            list(container.get("ports")).forEach(p -> ports.put(map(p).get("name").toString(),
                    ((Number) map(p).get("containerPort")).intValue()));
            for (String probe : List.of("readinessProbe", "livenessProbe")) {
                Map<String, Object> spec = map(container.get(probe));
                for (String kind : List.of("httpGet", "tcpSocket")) {
                    if (spec.get(kind) != null) {
                        Object port = map(spec.get(kind)).get("port");
                        assertTrue(ports.containsKey(String.valueOf(port)), name(workload) + "'s " + probe + " names port "
                                + port + ", not one of " + ports.keySet());
                    }
                }
            }
            Settings settings = Settings.of(new String[0], env);
            Map<String, Integer> listens = switch (service) {
                case "node" -> {
                    StorageNodeConfig node = StorageNodeConfig.fromSettings(settings);
                    assertTrue(node.advertisedAddress().startsWith(node.nodeId() + ".kos-node."), node.advertisedAddress());
                    assertTrue(node.advertisedAddress().endsWith(":" + node.port()), node.advertisedAddress());
                    yield Map.of("grpc", node.port(), "metrics", StorageNodeConfig.metricsPort(settings));
                }
                case "gateway" -> Map.of("http", GatewayConfig.from(settings).port());
                case "placement" -> Map.of("health", PlacementConfig.fromSettings(settings).healthPort());
                case "cleanup" -> {
                    CleanupConfig.fromSettings(settings);
                    yield Map.of("metrics", CleanupConfig.metricsPort(settings));
                }
                default -> throw new AssertionError(service);
            };
            assertEquals(listens, ports, name(workload) + " declares ports its service does not listen on");
        }
        assertEquals(Set.of("cleanup", "gateway", "node", "placement"), started);
    }

    @Test
    void kubernetesServicesSelectPodsAndTargetTheirPorts() throws IOException {
        List<Map<String, Object>> services = all().stream().filter(d -> "Service".equals(d.get("kind"))).toList();
        assertFalse(services.isEmpty());
        for (Map<String, Object> svc : services) {
            Map<String, Object> selector = map(map(svc.get("spec")).get("selector"));
            List<Map<String, Object>> selected = workloads().stream()
                    .filter(w -> map(map(map(map(w.get("spec")).get("template")).get("metadata")).get("labels"))
                            .entrySet().containsAll(selector.entrySet()))
                    .toList();
            assertEquals(1, selected.size(), "Service " + name(svc) + " selects " + selected.size() + " workloads");
            Map<String, Object> container = map(list(podSpec(selected.getFirst()).get("containers")).getFirst());
            Set<Object> portNames = new HashSet<>();
            list(container.get("ports")).forEach(p -> portNames.add(map(p).get("name")));
            for (Object p : list(map(svc.get("spec")).get("ports"))) {
                Object target = map(p).get("targetPort");
                assertTrue(portNames.contains(target), "Service " + name(svc) + " targets port " + target + ", not one of "
                        + portNames);
            }
        }
        Map<String, Object> nodes = workloads().stream().filter(w -> "StatefulSet".equals(w.get("kind"))).findFirst()
                .orElseThrow();
        assertTrue(services.stream().anyMatch(s -> name(s).equals(map(nodes.get("spec")).get("serviceName"))
                        && "None".equals(map(s.get("spec")).get("clusterIP"))),
                "the storage nodes' StatefulSet needs its headless Service, whose DNS names the nodes advertise");
    }

    // --- helpers ----------------------------------------------------------------------------

    /** A Prometheus configuration's static targets by job. */
    private static Map<String, Set<String>> scrapeTargets(Path file) throws IOException {
        Map<String, Set<String>> jobs = new TreeMap<>();
        for (Object job : list(load(file).getFirst().get("scrape_configs"))) {
            Set<String> targets = new TreeSet<>();
            for (Object sc : list(map(job).get("static_configs"))) {
                list(map(sc).get("targets")).forEach(t -> targets.add(t.toString()));
            }
            jobs.put(map(job).get("job_name").toString(), targets);
        }
        return jobs;
    }

    /** kos-service's services and the main class of each; every class must exist. */
    static Map<String, String> launcherServices() throws IOException {
        Matcher m = LAUNCHER_CASE.matcher(Files.readString(ROOT.resolve("distribution/src/bin/kos-service")));
        Map<String, String> services = new HashMap<>();
        while (m.find()) {
            services.put(m.group(1), m.group(2));
            try {
                Class.forName(m.group(2), false, DeploymentFilesTest.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError("kos-service runs " + m.group(1) + " as " + m.group(2) + ", which does not exist");
            }
        }
        assertTrue(services.keySet().containsAll(Set.of("gateway", "node", "placement", "cleanup")), services.toString());
        return services;
    }

    /** The variable of every dotted string literal in the services' sources: a superset of the settings read. */
    static Set<String> knownSettingVariables() throws IOException {
        Set<String> known = new HashSet<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/java/"))
                    .toList()) {
                Matcher m = SETTING_KEY.matcher(Files.readString(p));
                while (m.find()) {
                    known.add(Settings.envName(m.group(1)));
                }
            }
        }
        assertTrue(known.contains("KOS_NODE_ADVERTISED_ADDRESS"), "the source scan found no settings");
        return known;
    }

    /** A container's env with the downward API's fields and $(VAR) references filled in as Kubernetes would. */
    private static Map<String, String> containerEnv(Map<String, Object> container, String podName) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Object o : list(container.get("env"))) {
            Map<String, Object> e = map(o);
            String value;
            if (e.get("value") != null) {
                Matcher m = K8S_VAR.matcher(e.get("value").toString());
                StringBuilder sb = new StringBuilder();
                while (m.find()) {
                    String ref = env.get(m.group(1));
                    assertNotNull(ref, e.get("name") + " refers to $(" + m.group(1) + "), not defined before it");
                    m.appendReplacement(sb, Matcher.quoteReplacement(ref));
                }
                value = m.appendTail(sb).toString();
            } else {
                Map<String, Object> from = map(e.get("valueFrom"));
                if (from.get("fieldRef") != null) {
                    String field = map(from.get("fieldRef")).get("fieldPath").toString();
                    value = switch (field) {
                        case "metadata.name" -> podName;
                        case "metadata.namespace" -> "default";
                        default -> throw new AssertionError("unexpected field " + field);
                    };
                } else {
                    assertEquals("kos-db", map(from.get("secretKeyRef")).get("name"));
                    value = "secret";
                }
            }
            env.put(e.get("name").toString(), value);
        }
        return env;
    }

    private static Map<String, String> configMap(String name) throws IOException {
        Map<String, Object> cm = all().stream().filter(d -> "ConfigMap".equals(d.get("kind")) && name.equals(name(d)))
                .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + name));
        Map<String, String> data = new LinkedHashMap<>();
        map(cm.get("data")).forEach((k, v) -> data.put(k, v.toString()));
        return data;
    }

    private static Map<String, String> env(Map<String, Object> composeService) {
        Map<String, String> env = new LinkedHashMap<>();
        map(composeService.get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }

    private static List<Map<String, Object>> workloads() throws IOException {
        return all().stream().filter(d -> "Deployment".equals(d.get("kind")) || "StatefulSet".equals(d.get("kind"))).toList();
    }

    private static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(map(map(workload.get("spec")).get("template")).get("spec"));
    }

    private static String name(Map<String, Object> doc) {
        return map(doc.get("metadata")).get("name").toString();
    }

    private static List<Map<String, Object>> all() throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml"))
                    .sorted().toList()) {
                docs.addAll(load(p));
            }
        }
        return docs;
    }

    private static List<Map<String, Object>> load(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file)) {
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(r)) {
                if (doc != null) {
                    docs.add(map(doc));
                }
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }
}
