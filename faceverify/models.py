"""Model files and the landmark seam.

The dlib models come from the ``face-recognition-models`` package. Its ``__init__``
imports ``pkg_resources`` (gone from current setuptools), so the folder is found with
``importlib.util.find_spec`` without importing the package.

Everything that needs facial landmarks goes through :class:`LandmarkModel`. The
68-point predictor shipped by that package was trained on iBUG 300-W, whose licence
allows non-commercial use only; swapping it for a permissively licensed model means
writing another :class:`LandmarkModel` and registering it in ``LANDMARK_BACKENDS``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# dlib is built against OpenBLAS (scripts/setup.sh), which would start a thread
# per core for every descriptor; a server runs several requests at once, each
# on one core. Read when dlib is first loaded, which is after this module.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"


def default_models_dir() -> Path:
    """The ``models/`` folder of ``face_recognition_models``, without importing it."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "face-recognition-models==0.3.0 is not installed; the face engine needs it"
        )
    return Path(spec.origin).parent / "models"


class LandmarkModel(Protocol):
    """The seam for the 68-point landmark model (iBUG 300-W point order)."""

    name: str

    def __call__(self, grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """Return a (68, 2) float32 array of landmarks for the face in ``box``.

        ``box`` is (left, top, right, bottom) in pixels of ``grey``.
        """
        ...


class DlibLandmarks68:
    """dlib's 68-point shape predictor (training data: iBUG 300-W, non-commercial)."""

    name = "dlib-68"

    def __init__(self, path: Path) -> None:
        import dlib

        self._predictor = dlib.shape_predictor(str(path))

    def __call__(self, grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        import dlib

        shape = self._predictor(grey, dlib.rectangle(*box))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


# Registry of landmark backends: name -> factory(models_dir).
LANDMARK_BACKENDS: dict[str, Callable[[Path], LandmarkModel]] = {
    "dlib-68": lambda d: DlibLandmarks68(d / LANDMARKS_68),
}


class Locked:
    """A model object shared between threads, one call at a time.

    dlib's detector, shape predictors and descriptor network keep scratch buffers
    in the object: two threads using one instance at once can crash the process or
    mix up results (seen as a segfault and a false ``multiple_faces`` with two
    request threads per worker). Each model gets its own lock, so different models
    still run at the same time; one copy per thread would cost ~110 MB each.
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.name = getattr(model, "name", type(model).__name__)

    @property
    def model(self) -> Any:
        """The wrapped object (use only while holding :attr:`lock`)."""
        return self._model

    @property
    def lock(self) -> threading.Lock:
        """The model's lock."""
        return self._lock

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self._model(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._model, attr)
        if not callable(value):
            return value

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return value(*args, **kwargs)

        return locked


@dataclass
class Models:
    """The loaded models, shared by every engine of the process using these files.

    Every model is wrapped in :class:`Locked`: safe to call from several threads.
    """

    detector: Any
    landmarks: LandmarkModel
    shape5: Any
    encoder: Any


_cache: dict[tuple[str, str], Models] = {}
_lock = threading.Lock()


def load_models(
    models_dir: Path | None = None, landmark_backend: str = "dlib-68"
) -> Models:
    """Load the detector, landmark, 5-point and descriptor models once per process."""
    folder = Path(models_dir) if models_dir else default_models_dir()
    key = (str(folder), landmark_backend)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        import dlib

        for name in (LANDMARKS_5, DESCRIPTOR):
            if not (folder / name).is_file():
                raise RuntimeError(f"model file missing: {folder / name}")
        models = Models(
            detector=Locked(dlib.get_frontal_face_detector()),
            landmarks=Locked(LANDMARK_BACKENDS[landmark_backend](folder)),
            shape5=Locked(dlib.shape_predictor(str(folder / LANDMARKS_5))),
            encoder=Locked(dlib.face_recognition_model_v1(str(folder / DESCRIPTOR))),
        )
        _cache[key] = models
        return models
