//! Step 6: username and password (English letters and digits, policy from
//! config). The password is hashed here (Argon2id) and only the hash is kept
//! until the account is created.

use pratu_storage::records::EnrollmentStep;

use super::Progress;
use crate::domain::{Password, Username};
use crate::service::data::AccountData;
use crate::service::fields::FieldCode;
use crate::service::{
    Context, EnrollmentAccess, EnrollmentError, EnrollmentService, InvalidKind, retry_on_conflict,
};

impl EnrollmentService {
    #[tracing::instrument(name = "pratu.enrollment.account", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn set_account(
        &self,
        _ctx: &Context,
        access: &EnrollmentAccess,
        username: &str,
        password: &str,
    ) -> Result<Progress, EnrollmentError> {
        let user = Username::parse(username, &self.config.username);
        let pass = Password::parse(password, user.as_ref().ok(), &self.config.password);
        let (user, pass) = match (user, pass) {
            (Ok(u), Ok(p)) => (u, p),
            (Ok(_), Err(p)) => {
                return Err(EnrollmentError::invalid(
                    InvalidKind::password(p),
                    vec![p.on("password")],
                ));
            }
            (Err(u), p) => {
                let mut errors = vec![u.on("username")];
                errors.extend(p.err().map(|p| p.on("password")));
                return Err(EnrollmentError::invalid(InvalidKind::Request, errors));
            }
        };
        retry_on_conflict!(self.account_once(access, &user, &pass).await)
    }

    async fn account_once(
        &self,
        access: &EnrollmentAccess,
        username: &Username,
        password: &Password,
    ) -> Result<Progress, EnrollmentError> {
        let (e, mut data) = self.load(access).await?;
        if e.step < EnrollmentStep::Account || e.step == EnrollmentStep::Completed {
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        if let Some(current) = &data.account
            && current.username == username.as_str()
            && self
                .hasher
                .verify(password.expose(), Some(&current.password_hash))
                .await?
        {
            return Ok(Progress { next: e.step });
        }
        if self
            .store
            .user_by_username(username.as_str())
            .await?
            .is_some()
        {
            return Err(EnrollmentError::UsernameTaken);
        }
        let password_hash = self.hasher.hash(password.expose()).await?;
        data.account = Some(AccountData {
            username: username.as_str().to_owned(),
            password_hash,
        });
        let next = e.step.max(EnrollmentStep::Phone);
        self.save(e, &data, next).await?;
        Ok(Progress { next })
    }
}
