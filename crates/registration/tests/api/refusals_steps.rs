//! Steps out of their order.

use crate::helpers::{somchai, somying, spawn};

#[tokio::test]
async fn every_step_before_its_turn_is_step_out_of_order() {
    let app = spawn().await;
    let c = somchai();
    let id = app.start().await;
    let r = app.put_identity(&id, &c).await;
    r.assert_problem(409, "step_out_of_order");
    assert_eq!(r.json["next"], "citizen_id");
    app.put_account(&id, "somchai", "Correct1horse")
        .await
        .assert_problem(409, "step_out_of_order");
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(409, "step_out_of_order");
    app.verify_phone(&id, "123456")
        .await
        .assert_problem(409, "step_out_of_order");
    app.confirm(&id)
        .await
        .assert_problem(409, "step_out_of_order");

    assert_eq!(app.put_citizen_id(&id, &c.id).await.status, 200);
    let r = app.put_account(&id, "somchai", "Correct1horse").await;
    r.assert_problem(409, "step_out_of_order");
    assert_eq!(r.json["next"], "identity");
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(409, "step_out_of_order");

    assert_eq!(app.put_identity(&id, &c).await.status, 200);
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(409, "step_out_of_order");
    app.confirm(&id)
        .await
        .assert_problem(409, "step_out_of_order");

    assert_eq!(
        app.put_account(&id, "somchai", "Correct1horse")
            .await
            .status,
        200
    );
    app.verify_phone(&id, "123456")
        .await
        .assert_problem(409, "step_out_of_order");
    let r = app.confirm(&id).await;
    r.assert_problem(409, "step_out_of_order");
    assert_eq!(r.json["next"], "phone");
}

#[tokio::test]
async fn the_citizen_id_cannot_change_once_identity_is_verified() {
    let app = spawn().await;
    let id = app.start().await;
    assert_eq!(app.put_citizen_id(&id, &somchai().id).await.status, 200);
    // Before proofing another ID may replace it.
    assert_eq!(app.put_citizen_id(&id, &somying().id).await.status, 200);
    assert_eq!(app.put_identity(&id, &somying()).await.status, 200);
    app.put_citizen_id(&id, &somchai().id)
        .await
        .assert_problem(409, "step_out_of_order");
    // And other identity data cannot replace the verified one.
    app.put_identity(&id, &somchai())
        .await
        .assert_problem(409, "step_out_of_order");
}

#[tokio::test]
async fn nothing_can_change_after_confirmation() {
    let app = spawn().await;
    let id = app
        .enroll_to_review(&somchai(), "somchai", "0812345678")
        .await;
    assert_eq!(app.confirm(&id).await.status, 201);
    app.put_citizen_id(&id, &somying().id)
        .await
        .assert_problem(409, "step_out_of_order");
    app.put_account(&id, "other", "Correct1horse")
        .await
        .assert_problem(409, "step_out_of_order");
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(409, "step_out_of_order");
}
