"""Where blinks come from. A source is polled about once a second by the tracker:
`poll(now)` returns the blinks seen since the previous poll and whether a person was in
front of the screen (that time counts as screen time).

- SimulatedBlinkSource: a person blinking about `rate_per_min` times a minute (Poisson).
- CameraBlinkSource: a webcam and OpenCV's bundled Haar cascades: a face with open eyes,
  then the eyes gone for a few frames while the face stays, then back, is one blink.
"""

from __future__ import annotations

import glob
import random
import threading
import time
from dataclasses import dataclass

try:  # optional: the `camera` extra
    import cv2
except ImportError:  # pragma: no cover - depends on the install
    cv2 = None


@dataclass(frozen=True)
class Sample:
    blinks: int
    present: bool


class BlinkSource:
    name = "source"

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def poll(self, now: float) -> Sample:
        raise NotImplementedError


class SimulatedBlinkSource(BlinkSource):
    name = "Simulated"

    def __init__(self, *, rate_per_min: float = 15.0, seed: int | None = None):
        self.rate_per_min = rate_per_min
        self._random = random.Random(seed)
        self._last: float | None = None

    def poll(self, now: float) -> Sample:
        elapsed = 0.0 if self._last is None else max(0.0, now - self._last)
        self._last = now
        # Fatigue: the rate drifts slowly around its mean.
        expected = self.rate_per_min * (1 + 0.2 * self._random.uniform(-1, 1)) * elapsed / 60
        blinks, budget = 0, self._random.expovariate(1.0)
        while budget < expected:
            blinks += 1
            budget += self._random.expovariate(1.0)
        return Sample(blinks, present=True)


class EyeBlinkCounter:
    """Blink = eyes visible, then missing for `min_closed` to `max_closed` frames while
    the face stays in view, then visible again."""

    def __init__(self, *, min_closed: int = 1, max_closed: int = 8):
        self.min_closed, self.max_closed = min_closed, max_closed
        self._closed = 0
        self._seen_open = False
        self.blinks = 0

    def frame(self, *, face: bool, eyes: int) -> None:
        if not face:
            self._closed, self._seen_open = 0, False
            return
        if eyes >= 1:
            if self._seen_open and self.min_closed <= self._closed <= self.max_closed:
                self.blinks += 1
            self._closed, self._seen_open = 0, True
        elif self._seen_open:
            self._closed += 1


def camera_devices() -> list[str]:
    return sorted(glob.glob("/dev/video*"))


class CameraUnavailable(RuntimeError):
    pass


class CameraBlinkSource(BlinkSource):
    name = "Camera"

    def __init__(self, *, device: int = 0):
        self.device = device
        self._counter = EyeBlinkCounter()
        self._present_until = 0.0
        self._reported = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def unavailable_reason() -> str | None:
        """None when a camera and OpenCV are there; otherwise why not."""
        if cv2 is None:
            return "OpenCV is not installed (pip install 'sensorium-desktop[camera]')"
        if not camera_devices():
            return "no camera found"
        return None

    def start(self) -> None:
        reason = self.unavailable_reason()
        if reason:
            raise CameraUnavailable(reason)
        self._stop.clear()
        self._thread = threading.Thread(target=self._capture, name="camera", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def poll(self, now: float) -> Sample:
        blinks = self._counter.blinks - self._reported
        self._reported += blinks
        return Sample(blinks, present=time.monotonic() < self._present_until)

    def _capture(self) -> None:
        faces = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        eyes = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
        capture = cv2.VideoCapture(self.device)
        try:
            while not self._stop.is_set():
                ok, frame = capture.read()
                if not ok:
                    time.sleep(0.1)
                    continue
                gray = cv2.equalizeHist(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
                found = faces.detectMultiScale(gray, scaleFactor=1.2, minNeighbors=5, minSize=(80, 80))
                if len(found):
                    x, y, w, h = max(found, key=lambda box: box[2] * box[3])
                    upper = gray[y:y + h // 2, x:x + w]
                    seen = eyes.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=6, minSize=(w // 10, w // 10))
                    self._counter.frame(face=True, eyes=len(seen))
                    self._present_until = time.monotonic() + 2.0
                else:
                    self._counter.frame(face=False, eyes=0)
        finally:
            capture.release()
