package io.pikemix.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Font;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class PlotsTest {
    /** The demo's cosine title was clipped on both sides at 22 points; titles now shrink until they fit. */
    @Test
    void titleFont_keeps22PointsForAShortTitle_andShrinksALongOneUntilItFits() {
        System.setProperty("java.awt.headless", "true");
        assertEquals(
                22,
                Plots.titleFont("mix (mix-seed1): sampling weight per domain (paper Fig. 8)", 1160)
                        .getSize());
        String longTitle =
                "robust-pike (robust-pike-seed1): cosine similarity of per-domain gradients (paper Fig. 2, 5)";
        Font f = Plots.titleFont(longTitle, 940);
        assertTrue(f.getSize() < 22 && f.getSize() >= 12, "size " + f.getSize());
        var g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        assertTrue(g.getFontMetrics(f).stringWidth(longTitle) <= 940);
        assertTrue(g.getFontMetrics(f.deriveFont((float) f.getSize() + 1)).stringWidth(longTitle) > 940);
        g.dispose();
    }
}
