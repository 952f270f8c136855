package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EventLog#syncTo}'s group commit: writers that append and wait at the same moment (as a step's 8 reports do)
 * each return only once their own event is forced, and the log holds every event once, in each writer's order.
 */
class GroupCommitTest {
    @TempDir
    Path dir;

    @Test
    void everyWriterIsDurableWhenSyncToReturns() throws Exception {
        int writers = 8, rounds = 150;
        var barrier = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try (var log = new EventLog(dir)) {
            var tasks = new ArrayList<Future<Integer>>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                tasks.add(pool.submit(() -> {
                    int notDurable = 0;
                    for (int i = 0; i < rounds; i++) {
                        barrier.await(10, TimeUnit.SECONDS); // all writers append together
                        long pos = log.write(("{\"type\":\"t\",\"w\":" + writer + ",\"i\":" + i + "}")
                                .getBytes(StandardCharsets.UTF_8));
                        log.syncTo(pos);
                        if (!log.durable(pos)) notDurable++;
                    }
                    return notDurable;
                }));
            }
            for (Future<Integer> t : tasks) assertEquals(0, t.get(60, TimeUnit.SECONDS), "returned before durable");
        } finally {
            pool.shutdownNow();
        }
        var next = new int[writers];
        int[] lines = {0};
        try (var log = new EventLog(dir)) {
            log.replay((line, e) -> {
                int w = e.get("w").asInt();
                assertEquals(next[w], e.get("i").asInt(), "writer " + w + "'s events in order, each once");
                next[w]++;
                lines[0]++;
            });
            assertNull(log.truncatedTail());
        }
        assertEquals(writers * rounds, lines[0]);
    }
}
