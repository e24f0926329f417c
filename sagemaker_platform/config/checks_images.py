"""Cross-section checks of platform images: an image from a platform repository names an `images.repositories`
entry whose policy lets its user pull."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sagemaker_platform.config.base import field_problem
from sagemaker_platform.config.endpoints import EndpointConfig, EndpointPlatformImageConfig
from sagemaker_platform.config.images import ImageRepositoryConfig, PlatformImageConfig
from sagemaker_platform.contracts.tuning_spec import PlatformImage

if TYPE_CHECKING:
    from sagemaker_platform.config.platform import PlatformConfig


def check_platform_images_exist(config: PlatformConfig) -> None:
    """An endpoint image from a platform repository names an `images.repositories` entry."""
    known = _platform_repositories(config)
    for index, entry in enumerate(config.endpoints):
        if (
            isinstance(entry, EndpointConfig)
            and isinstance(entry.image, EndpointPlatformImageConfig)
            and entry.image.platform_repository not in known
        ):
            raise field_problem(
                f"endpoints[{index}].image.platform_repository",
                entry.image.platform_repository,
                "not an `images.repositories` entry; known: " + (", ".join(sorted(known)) or "none"),
            )


def check_tuning_images_pullable(config: PlatformConfig) -> None:
    """A tuning spec's or the launcher's `{platform_repository, tag}` names a repository whose policy lets the
    dev account's tuning training role pull (`pullers` has training, `pull_accounts` has dev)."""
    # Tuning runs in the dev account; build pipelines resolve their images per account and have no platform
    # image support yet, so a spec they tune with must not name one.
    known = _platform_repositories(config)
    used = [(f"tuning[{i}].image", s.image.repository) for i, s in enumerate(config.tuning) if _is_platform(s.image)]
    launcher = config.tuning_launcher
    if launcher is not None and isinstance(launcher.image, PlatformImageConfig):
        used.append(("tuning_launcher.image", launcher.image.platform_repository))
    for where, repository in used:
        entry = known.get(repository)
        if entry is None:
            raise field_problem(
                f"{where}.platform_repository",
                repository,
                "not an `images.repositories` entry; known: " + (", ".join(sorted(known)) or "none"),
            )
        if "training" not in entry.pullers or "dev" not in entry.pull_accounts:
            raise field_problem(
                f"{where}.platform_repository",
                repository,
                "tuning runs in the dev account with its training role: that repository's `pullers` must include "
                "training and its `pull_accounts` dev",
            )
    specs = {spec.name: spec for spec in config.tuning}
    for index, build in enumerate(config.lifecycle.build if config.lifecycle is not None else ()):
        if build.tuning in specs and _is_platform(specs[build.tuning].image):
            raise field_problem(
                f"lifecycle.build[{index}].tuning",
                build.tuning,
                "that spec's image names a platform repository, which build pipelines do not pull yet; "
                "give the spec an ECR URI or a built-in image",
            )


def _platform_repositories(config: PlatformConfig) -> dict[str, ImageRepositoryConfig]:
    return {repo.name: repo for repo in config.images.repositories} if config.images is not None else {}


def _is_platform(image: object) -> bool:
    return isinstance(image, PlatformImage)
