package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategy;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read path of {@link MixerCore}: the manifest of a frozen step is answered from its cached, immutable answer
 * without the core's lock (so a statistics write, its fsync or a freeze in progress never delays it), and that
 * answer follows the one thing that can still change about a frozen step: whether the last frozen step wants
 * statistics, when its successor is pinned or released.
 */
class LockFreeReadTest {
    @TempDir
    Path dir;

    /** One worker, PiKE with T = 1: every step wants statistics; a report closes its step and freezes the next. */
    private static StatsReport report(long step, SplittableRandom rnd) {
        GradientStats g = Fixtures.randomStats(rnd);
        var r = Fixtures.report(g);
        return new StatsReport(
                step, 0, 1, r.microBatches(), r.sequences(), r.gradNormSq(), r.meanGradNormSq(), r.gradVar(), r.loss());
    }

    /**
     * T = 1000: only step 0 wants statistics; once it is closed, a read of step 1 freezes ahead through step 33, and
     * reads of steps 0..17 are then far enough from the end of the prefix to extend nothing.
     */
    @Test
    void aFrozenStepIsServedWhileAnotherThreadHoldsTheCoreLock() throws Exception {
        MixConfig mix = Fixtures.mix(1000);
        Strategy pike = Fixtures.pike(mix);
        var rnd = new SplittableRandom(5);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (var log = new EventLog(dir.resolve("s"))) {
            var core = new MixerCore(mix, pike, 1, log, dir.resolve("s"));
            try {
                StepManifest m0 = core.manifest(0, 0).manifest();
                MixerCore.Accepted a = core.report(report(0, rnd));
                assertTrue(a.closed(), "the one worker's report closes step 0");
                StepManifest m1 = core.manifest(1, 0).manifest(); // frozen by the report that closed step 0
                assertEquals(2 + MixerCore.FREEZE_AHEAD, core.frozenSteps(), "the read of step 1 froze ahead");
                StepManifest m10 = core.manifest(10, 0).manifest();
                log.sync();

                var held = new CountDownLatch(1);
                var release = new CountDownLatch(1);
                Future<?> holder = pool.submit(() -> {
                    synchronized (core) { // what a statistics write or a freeze holds while it works
                        held.countDown();
                        release.await();
                    }
                    return null;
                });
                assertTrue(held.await(30, TimeUnit.SECONDS));
                try {
                    Future<List<StepManifest>> read = pool.submit(() -> List.of(
                            core.manifest(0, 0).manifest(),
                            core.manifest(1, 0).manifest(),
                            core.manifest(10, 0).manifest()));
                    // with the lock held elsewhere, a read that needed it could not finish at all
                    List<StepManifest> got = read.get(30, TimeUnit.SECONDS);
                    assertEquals(List.of(m0, m1, m10), got, "the same manifests as first served");
                } finally {
                    release.countDown();
                }
                holder.get(30, TimeUnit.SECONDS);
            } finally {
                core.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** T = 1, one worker: step 1 wants statistics unless step 2 is pinned. */
    @Test
    void theLastFrozenStepsWishForStatisticsFollowsAPinOfItsSuccessor() throws Exception {
        MixConfig mix = Fixtures.mix(1);
        Strategy pike = Fixtures.pike(mix);
        var rnd = new SplittableRandom(6);
        var local = new Mixer(mix, pike);
        try (var log = new EventLog(dir.resolve("s"))) {
            var core = new MixerCore(mix, pike, 1, log, dir.resolve("s"));
            try {
                core.manifest(0, 0);
                core.report(report(0, rnd));
                log.sync();
                MixerCore.Served before = core.manifest(1, 0);
                assertTrue(before.wantsStatistics(), "T = 1: step 1 wants statistics");

                double[] w = {0.2, 0.3, 0.5};
                assertEquals(2, core.control(2, w), "step 2 is the first open step");
                core.control(2, null); // released again before any read: step 1 wants its statistics
                assertTrue(core.manifest(1, 0).wantsStatistics());

                assertEquals(2, core.control(2, w));
                local.pin(2, w);
                assertFalse(local.wantsStatistics(1), "the mixer's rule: a step before a pinned one takes none");
                MixerCore.Served pinned = core.manifest(1, 0);
                assertFalse(pinned.wantsStatistics(), "the cached answer of step 1 follows the pin of step 2");
                assertEquals(before.manifest(), pinned.manifest(), "the manifest itself is frozen");
            } finally {
                core.close();
            }
        }
    }
}
