import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * DynamoDB Local with two differences from its own main: it listens on 127.0.0.1 only (the engine has no
 * bind-address option and would otherwise accept anyone on the network), and it exits when its parent
 * closes stdin, so a broker killed without cleanup (SIGKILL, a signal npm forwards badly) never orphans it.
 * Run in Java's source-file mode (`java LoopbackDynamoDbLocal.java <DynamoDB Local options>`).
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Nothing is ever sent; end of input means the parent is gone.
        }
      } catch (Exception ignored) {
        // A broken pipe means the same.
      }
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      proxy.start();
    } catch (Exception failure) {
      // The engine's own threads would keep a JVM that failed to listen alive forever.
      failure.printStackTrace();
      System.exit(1);
    }
  }
}
