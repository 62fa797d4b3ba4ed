package dev.skein.app.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {

    @Test
    void portsChosenByOneInstanceAreDistinctEvenWhenTheSystemWouldHandOneOutAgain() throws Exception {
        // CI once started a broker with its client and controller listeners on one port: a port
        // chosen and given back at once was the system's next choice too.
        Set<Integer> ports = new HashSet<>();
        try (LoopbackPorts free = new LoopbackPorts()) {
            for (int i = 0; i < 200; i++) {
                ports.add(free.free());
            }
        }
        assertThat(ports).hasSize(200);
    }

    @Test
    void aRecordedPortIsTakenAgainWhenFreeAndNotChosenTwice() throws Exception {
        int recorded;
        try (LoopbackPorts free = new LoopbackPorts()) {
            recorded = free.free();
        }
        try (LoopbackPorts free = new LoopbackPorts()) {
            assertThat(free.preferredOrFree(" " + recorded + "\n")).isEqualTo(recorded);
            // Held now: asking for it again gives another port.
            assertThat(free.preferredOrFree(Integer.toString(recorded))).isNotEqualTo(recorded);
        }
    }

    @Test
    void aRecordedPortThatIsTakenOrNotAPortGivesAFreeOne() throws Exception {
        try (ServerSocket taken = new ServerSocket();
                LoopbackPorts free = new LoopbackPorts()) {
            taken.bind(new InetSocketAddress(BrokerProperties.HOST, 0));
            assertThat(free.preferredOrFree(Integer.toString(taken.getLocalPort())))
                    .isNotEqualTo(taken.getLocalPort())
                    .isPositive();
            for (String garbage : new String[] {null, "", "abc", "0", "99999", "-5", "1e3"}) {
                assertThat(free.preferredOrFree(garbage)).isBetween(1, 65_535);
            }
        }
    }

    @Test
    void closingLetsTheChosenPortsGoForTheBrokerToBind() throws Exception {
        int port;
        try (LoopbackPorts free = new LoopbackPorts()) {
            port = free.free();
        }
        try (ServerSocket broker = new ServerSocket()) {
            broker.bind(new InetSocketAddress(BrokerProperties.HOST, port));
            assertThat(broker.getLocalPort()).isEqualTo(port);
        }
    }
}
