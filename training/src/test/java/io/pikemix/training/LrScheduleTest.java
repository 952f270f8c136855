package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    @Test
    void table6_hitsInitPeakAndFinal() {
        var s = new LrSchedule(7e-6, 7e-4, 7e-6, 10_000, 120_000);
        assertEquals(7e-6, s.at(0), 1e-15);
        assertEquals(7e-4, s.at(10_000), 1e-15);
        assertEquals(7e-6, s.at(119_999), 1e-15);
        assertEquals(7e-6, s.at(200_000), 1e-15);
        assertEquals((7e-6 + 7e-4) / 2, s.at(5_000), 1e-12, "linear warm-up");
    }

    @Test
    void schedule_linearInEachPhaseAndNeverAbovePeak() {
        var s = new LrSchedule(1e-5, 1e-3, 2e-5, 30, 200);
        for (long t = 1; t < 199; t++) {
            assertTrue(s.at(t) <= 1e-3 + 1e-15);
            if (t != 30) assertEquals(s.at(t), (s.at(t - 1) + s.at(t + 1)) / 2, 1e-12, "linear at " + t);
        }
    }
}
