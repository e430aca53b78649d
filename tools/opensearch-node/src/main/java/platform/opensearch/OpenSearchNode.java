package platform.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node for tests and development: HTTP (Netty4) on 127.0.0.1, single-node discovery, its data in
 * the folder it is given. Usage: OpenSearchNode DATA_DIR HTTP_PORT TRANSPORT_PORT. It prints one line
 * "opensearch listening on http://127.0.0.1:PORT" once it answers, and runs until it is stopped (SIGTERM).
 */
public final class OpenSearchNode {
  /** Node's constructor that takes plugin classes is protected: plugins on the classpath are loaded this way. */
  static final class PluginNode extends Node {
    PluginNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
      super(environment, plugins, true);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: OpenSearchNode DATA_DIR HTTP_PORT TRANSPORT_PORT");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    for (String dir : List.of("config", "data", "logs", "plugins", "modules")) {
      Files.createDirectories(home.resolve(dir));
    }
    Settings settings = Settings.builder()
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("cluster.name", "platform-metrics")
        .put("node.name", "platform-metrics-1")
        .put("discovery.type", "single-node")
        .put("network.host", "127.0.0.1")
        .put("http.port", args[1])
        .put("transport.port", args[2])
        .put("http.type", "netty4")
        .put("transport.type", "netty4")
        // A development machine's disk is often fuller than the watermarks allow; indices must stay writable.
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        .build();
    Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "platform-metrics-1");
    Node node = new PluginNode(environment, List.of(Netty4Plugin.class));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception error) {
        error.printStackTrace();
      }
      stopped.countDown();
    }));
    node.start();
    System.out.println("opensearch listening on http://127.0.0.1:" + args[1]);
    System.out.flush();
    stopped.await();
  }
}
