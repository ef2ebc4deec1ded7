"""``flask --app app posters build --campaign ID``: every sharer's posters, via RQ jobs."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from rq.job import Job, JobStatus

from catalog.models import Campaign
from plumbing import database, redis_client
from publishing import posterjobs
from publishing.posts import current_version, plan
from publishing.renders import Renderer
from publishing.storage import storage

posters = AppGroup("posters", help="Sharers' personal posters.")


@posters.command("build")
@click.option("--campaign", "campaign_id", type=int, required=True, help="the campaign's id")
@click.option("--chunk", type=click.IntRange(1, 5000), default=posterjobs.CHUNK, show_default=True,
              help="sharers per job")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="show progress until the jobs are done (a worker must be running)")
@click.option("--timeout", type=float, default=0, help="give up waiting after this many seconds (0: never)")
@click.option("--most-active", type=click.IntRange(1), default=None,
              help="only the N sharers with the most clicks (the others' posters are drawn on first view)")
def build(campaign_id: int, chunk: int, wait: bool, timeout: float, most_active: int | None) -> None:
    """Render every sharer's posters (or the most active ones') for the campaign's current content version.

    Resumable and safe to run twice: sharers whose posters are already stored
    are skipped. Cards are drawn here once; the jobs only paste QR codes.
    """
    app = current_app._get_current_object()
    read = database.read_session(app)
    try:
        campaign = read.get(Campaign, campaign_id)
        if campaign is None:
            raise click.ClickException(f"no campaign {campaign_id}")
        version, _ = current_version(read, database.new_session, campaign)
        renderer = Renderer(version.snapshot, storage(app))
        channels = posterjobs.channels_of(version.snapshot)
        for slots in plan(renderer, channels, dict.fromkeys(channels)).values():
            for slot in slots:
                renderer.prepare(slot)
        with database.new_session(app) as write:
            renderer.save(write)
            write.commit()
        only = posterjobs.most_active_sharers(read, campaign.workspace_id, most_active) if most_active else None
        missing, total = posterjobs.missing_sharers(read, renderer, campaign, version.number, app.config["PUBLIC_URL"],
                                                     only)
    finally:
        read.close()
    click.echo(f"campaign {campaign_id}, content version {version.number}: {total} sharers, "
               f"{total - len(missing)} up to date, {len(missing)} to render")
    if not missing:
        return
    jobs = posterjobs.enqueue(redis_client.queue(app=app), campaign_id, version.number, missing, chunk)
    click.echo(f"queued {len(jobs)} job(s)")
    if wait:
        _wait(app, jobs, len(missing), timeout)


def _wait(app: Flask, jobs: list[Job], total: int, timeout: float) -> None:
    connection = redis_client.connection(app)
    ids = [job.id for job in jobs]
    sizes = {job.id: len(job.args[2]) for job in jobs}
    deadline = time.monotonic() + timeout if timeout else None
    shown = 0
    failed: list[str] = []
    with click.progressbar(length=total, label="rendering posters", show_pos=True) as bar:
        while True:
            done, pending = 0, 0
            failed = []
            for job_id, job in zip(ids, Job.fetch_many(ids, connection=connection)):
                status = job.get_status(refresh=False) if job else None
                if status == JobStatus.FINISHED or job is None:
                    done += sizes[job_id]
                elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                    failed.append(job_id)
                    done += job.meta.get("done", 0)
                else:
                    pending += 1
                    done += job.meta.get("done", 0)
            bar.update(done - shown)
            shown = done
            if not pending:
                break
            if deadline and time.monotonic() > deadline:
                raise click.ClickException(f"{pending} job(s) still waiting after {timeout:g} s; is a worker "
                                           "running (flask --app app worker)? Run this command again to resume.")
            time.sleep(0.25)
    if failed:
        raise click.ClickException(f"{len(failed)} job(s) failed ({', '.join(failed)}); run again to retry them")
    click.echo(f"done: {total} sharers' posters rendered")


def init_app(app: Flask) -> None:
    app.cli.add_command(posters)
