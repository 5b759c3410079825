from setuptools import find_packages, setup

setup(
    name="quality_movies",
    version="0.1.0",
    description="The AWS 'quality movie data' recipe as a Dagster asset graph that also runs locally.",
    packages=find_packages(exclude=["quality_movies_tests*", "benchmarks*"]),
    # With the root named as the package folder, `pip install -e` links the project with a plain .pth file
    # instead of setuptools' import finder, which prints a warning block on every install.
    package_dir={"": "."},
    package_data={"quality_movies": ["sample/*.csv", "rules/*.dqdl", "rules/*.toml"]},
    python_requires=">=3.11",
    # dagster-aws and dagster-webserver pin dagster exactly: the set moves together.
    install_requires=[
        "dagster==1.13.27",
        "dagster-aws==0.29.27",
        "dagster-webserver==1.13.27",
        "polars==1.44.2",
        "pandera[polars,pandas]==0.35.0",  # pandera imports pandas whatever the backend
        "pyarrow>=14",
        "redshift-connector==2.2.0",
        "pgserver==0.1.4",
        "boto3>=1.34",
    ],
    extras_require={
        # Browser tests drive Debian's Chromium (/usr/bin/chromium); Playwright never downloads one.
        # pandera's pandas backend is the benchmark's baseline.
        "dev": [
            "pytest>=8",
            "hypothesis>=6",
            "moto[server]>=5",
            "ruff>=0.6",
            "playwright>=1.45",
            "pandera[pandas]==0.35.0",
        ],
    },
    entry_points={"console_scripts": ["quality-movies=quality_movies.cli:main"]},
)
